// run.mjs: the sign-in pages in headless Chromium (Debian's, driven by playwright-core):
// what a person does with a real browser, cookies, redirects and forms included, and a
// security key through Chromium's virtual authenticator.
// Screenshots of every step go to $GH_STATE/screenshots (var/test/browser/…) as artifacts.
// Prints one line per test and ends with "browser: N passed, N failed".
//
// Needs a running stack: GATEHOUSE_URL, GH_STATE (its mail/ holds delivered mail),
// GH_ROOT and GH_BUILD (for gatehousectl, with the stack's database settings in the environment).
import { execFileSync } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

const BASE = process.env.GATEHOUSE_URL;
// The stack's public_url, where security keys work: browsers refuse an IP address as RP ID.
const SITE = Object.assign(new URL(BASE), { hostname: "localhost" }).origin;
const STATE = process.env.GH_STATE;
const CTL = join(process.env.GH_ROOT, process.env.GH_BUILD || "build", "gatehousectl");
const SHOTS = join(STATE, "screenshots");
const PW = "correct horse battery staple";

mkdirSync(SHOTS, { recursive: true });

function unique(prefix) {
	return prefix + randomBytes(5).toString("hex");
}

function ctl(...args) {
	return execFileSync(CTL, args, { encoding: "utf8" }).trim();
}

// A fresh org with a super and its key.
function makeOrg() {
	const name = unique("org-");
	ctl("org", "create", name);
	const email = `${unique("su")}@example.com`;
	ctl("user", "create", "--org", name, "--email", email, "--level", "super");
	return { name, key: ctl("key", "create", "--org", name, "--user", email) };
}

async function api(org, method, path, body) {
	const r = await fetch(BASE + path, {
		method,
		headers: { Authorization: `Bearer ${org.key}`, "Content-Type": "application/json" },
		body: body ? JSON.stringify(body) : undefined,
	});
	if (r.status >= 300)
		throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
	return r.status === 204 ? null : r.json();
}

async function makeUser(org) {
	const email = `${unique("br")}@example.com`;
	return api(org, "POST", "/api/v1/users", { email, username: email.split("@")[0], password: PW });
}

// RFC 6238 in a few lines, independent of the server's C code.
function totp(base32, offsetSteps = 0) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	let bits = "";
	for (const c of base32)
		bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
	const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
	const counter = Buffer.alloc(8);
	counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 1000 / 30) + offsetSteps));
	const mac = createHmac("sha1", key).update(counter).digest();
	const off = mac[19] & 15;
	return String((mac.readUInt32BE(off) & 0x7fffffff) % 1000000).padStart(6, "0");
}

function assert(cond, what) {
	if (!cond)
		throw new Error(`assertion failed: ${what}`);
}

async function shot(page, name) {
	await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

async function signIn(page, org, user, password = PW, base = BASE) {
	await page.goto(`${base}/login?org=${encodeURIComponent(org.name)}`);
	await page.getByLabel("Username or e-mail address").fill(user.username);
	await page.getByLabel("Password", { exact: true }).fill(password);
	await page.getByRole("button", { name: "Sign in" }).click();
}

function path(page) {
	return new URL(page.url()).pathname;
}

// Sets up TOTP on the enrolment page; the key.
async function enrol(page, name) {
	assert(path(page) === "/login/enrol", `on the enrolment page, not ${page.url()}`);
	assert(await page.getByRole("img", { name: /QR code/ }).isVisible(), "the QR code shows");
	await shot(page, `${name}-enrol`);
	const key = (await page.locator("code").first().textContent()).trim();
	await page.getByLabel("Code from the app").fill(totp(key));
	await page.getByRole("button", { name: "Turn on two-factor authentication" }).click();
	assert(await page.getByRole("heading", { name: "Two-factor authentication is on" }).isVisible(),
	    "enrolled");
	assert((await page.locator("li code").count()) === 10, "ten recovery codes");
	await shot(page, `${name}-recovery-codes`);
	return key;
}

const tests = {
	async sign_in_with_password_and_totp(browser) {
		const org = makeOrg();
		const user = await makeUser(org);
		const page = await (await browser.newContext()).newPage();
		await signIn(page, org, user);
		assert(path(page) === "/account", `signed in: ${page.url()}`);
		await page.getByRole("link", { name: "Set up two-factor authentication" }).click();
		const key = await enrol(page, "totp");
		await page.getByRole("link", { name: "Continue to your account" }).click();
		await page.getByRole("button", { name: "Sign out", exact: true }).click();
		assert(await page.getByRole("heading", { name: "You are signed out" }).isVisible(), "out");
		await signIn(page, org, user);
		assert(path(page) === "/login/totp", `asked for a code: ${page.url()}`);
		await shot(page, "totp-code");
		await page.getByLabel("Code", { exact: true }).fill("000000");
		await page.getByRole("button", { name: "Continue" }).click();
		assert(await page.getByRole("alert").isVisible(), "a wrong code is an error");
		await shot(page, "totp-wrong-code");
		// The enrolment spent this step's code: the next step's is within the window.
		await page.getByLabel("Code", { exact: true }).fill(totp(key, 1));
		await page.getByRole("button", { name: "Continue" }).click();
		assert(path(page) === "/account", `signed in with the code: ${page.url()}`);
		assert(await page.getByText(/^On: you sign in with a code/).isVisible(), "TOTP on");
		await shot(page, "totp-account");
	},

	// Chromium's virtual authenticator (CDP WebAuthn domain) stands in for a security key.
	async register_a_security_key_and_sign_in_with_it(browser) {
		const org = makeOrg();
		const user = await makeUser(org);
		const context = await browser.newContext();
		const page = await context.newPage();
		const cdp = await context.newCDPSession(page);
		await cdp.send("WebAuthn.enable");
		const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
			options: { protocol: "ctap2", transport: "internal", hasResidentKey: false,
			    hasUserVerification: true, isUserVerified: true },
		});
		await signIn(page, org, user, PW, SITE);
		assert(path(page) === "/account", `signed in: ${page.url()}`);
		assert(!(await page.getByText(/needs JavaScript/).isVisible()), "the script hid the note");
		await page.getByLabel("Name of the key").fill("virtual key");
		await page.getByRole("button", { name: "Add a security key" }).click();
		await page.getByText("Your security key has been added.").waitFor();
		assert(await page.getByText("virtual key, added", { exact: false }).isVisible(), "listed");
		await shot(page, "webauthn-account");
		let { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
		assert(credentials.length === 1, "one credential on the authenticator");
		await page.getByRole("button", { name: "Sign out", exact: true }).click();

		await signIn(page, org, user, PW, SITE);
		assert(path(page) === "/login/totp", `the second step: ${page.url()}`);
		assert((await page.getByLabel("Code", { exact: true }).count()) === 0, "no code asked");
		await shot(page, "webauthn-second-step");
		await page.getByRole("button", { name: "Use your security key" }).click();
		await page.waitForURL(`${SITE}/account`);
		assert(await page.getByText("virtual key, added", { exact: false }).isVisible(), "in");
		({ credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId }));
		assert(credentials[0].signCount >= 1, "the key counted its use");
		await shot(page, "webauthn-signed-in");

		// Without JavaScript the page says why the key cannot be used, and hides its button.
		const nojs = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
		await signIn(nojs, org, user, PW, SITE);
		assert(path(nojs) === "/login/totp", `the second step without script: ${nojs.url()}`);
		assert(await nojs.getByText(/A security key needs JavaScript/).isVisible(), "said");
		assert(!(await nojs.getByRole("button", { name: "Use your security key" }).isVisible()),
		    "no button that cannot work");
		await shot(nojs, "webauthn-no-javascript");
	},

	async enrol_totp_when_the_org_enforces_it(browser) {
		const org = makeOrg();
		await api(org, "PATCH", "/api/v1/org", { enforce_2fa: true });
		const user = await makeUser(org);
		const page = await (await browser.newContext()).newPage();
		await signIn(page, org, user);
		assert(path(page) === "/login/enrol", `sent to enrol: ${page.url()}`);
		await page.goto(`${BASE}/account`);
		assert(path(page) === "/login/enrol", "nothing else before enrolling");
		await enrol(page, "enforced");
		await page.getByRole("link", { name: "Continue to your account" }).click();
		assert(path(page) === "/account", "the account after enrolling");
		await shot(page, "enforced-account");
	},

	async reset_a_password_from_the_emailed_link(browser) {
		const org = makeOrg();
		const user = await makeUser(org);
		await api(org, "POST", `/api/v1/users/${user.uid}/password-reset`);
		const link = await mailedLink(user.email, "/reset");
		const page = await (await browser.newContext()).newPage();
		await page.goto(BASE + link);
		await shot(page, "reset-form");
		await page.getByLabel("New password", { exact: true }).fill(`${PW} again`);
		await page.getByLabel("Type the new password again").fill(`${PW} again`);
		await page.getByRole("button", { name: "Change my password" }).click();
		assert(await page.getByRole("heading", { name: "Your password has been changed" })
		    .isVisible(), "changed");
		await shot(page, "reset-done");
		await signIn(page, org, user, PW);
		assert(path(page) === "/login", "the old password no longer works");
		await signIn(page, org, user, `${PW} again`);
		assert(path(page) === "/account", `the new one does: ${page.url()}`);
	},

	async change_password_and_see_other_sessions_end(browser) {
		const org = makeOrg();
		const user = await makeUser(org);
		const mine = await (await browser.newContext()).newPage();
		const other = await (await browser.newContext()).newPage();
		await signIn(mine, org, user);
		await signIn(other, org, user);
		assert(path(other) === "/account", "the other browser is signed in");
		await mine.getByLabel("Current password").fill(PW);
		await mine.getByLabel("New password", { exact: true }).fill(`${PW} changed`);
		await mine.getByRole("button", { name: "Change my password" }).click();
		assert(await mine.getByText("Every other session has been signed out").isVisible(), "said");
		await shot(mine, "change-password-mine");
		await other.reload();
		assert(path(other) === "/login", `the other session ended: ${other.url()}`);
		await shot(other, "change-password-other");
		await mine.goto(`${BASE}/account`);
		assert(path(mine) === "/account", "this one goes on");
	},
};

// The link to page in the newest message delivered to addr (the stack's SMTP sink writes .eml files).
async function mailedLink(addr, page) {
	const dir = join(STATE, "mail");
	for (let i = 0; i < 100; i++) {
		for (const f of readdirSync(dir).filter((n) => n.endsWith(".eml")).sort().reverse()) {
			const text = readFileSync(join(dir, f), "utf8");
			if (!text.includes(`Delivered-To: <${addr}>`))
				continue;
			const m = text.replace(/=\r?\n/g, "").match(new RegExp(`https?://[^/\\s]+(${page}\\?token=gt_[A-Za-z0-9_-]+)`));
			if (m)
				return m[1];
		}
		await new Promise((r) => setTimeout(r, 200));
	}
	throw new Error(`no ${page} link reached ${addr}`);
}

const browser = await chromium.launch({
	executablePath: process.env.GH_CHROMIUM || "/usr/bin/chromium",
	args: ["--no-sandbox"],
});
let passed = 0, failed = 0;
for (const [name, fn] of Object.entries(tests)) {
	const start = Date.now();
	try {
		await fn(browser);
		passed++;
		console.log(`ok   ${name} (${Date.now() - start} ms)`);
	} catch (e) {
		failed++;
		console.log(`FAIL ${name}\n${e.stack}`);
	}
}
await browser.close();
console.log(`browser: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
