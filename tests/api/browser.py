"""browser.py: what a browser does with the HTML pages — keeps their cookies, reads
their forms, posts them back — for test_pages.py and test_mail.py."""
import html
import re
import urllib.parse

from gh import request


class Browser:
    """Cookies kept between requests, as a browser keeps them for one site."""

    def __init__(self):
        self.cookies = {}

    def send(self, method, path, form=None, headers=None):
        h = dict(headers or {})
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        r = self.exchange(method, path, form, h)
        if "set-cookie" in r.headers:
            name, _, rest = r.headers["set-cookie"].partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        return r

    def exchange(self, method, path, form, headers):
        """One request and its answer: through nginx here, elsewhere in a subclass."""
        return request(method, path, form=form, headers=headers)

    def get(self, path, **kw):
        return self.send("GET", path, **kw)

    def post(self, path, form, **kw):
        return self.send("POST", path, form=form, **kw)


def hidden(body, name):
    """The value of the form's hidden input name, unescaped."""
    m = re.search(rb'<input type="hidden" name="' + name.encode() + rb'" value="([^"]*)">', body)
    assert m, f"no hidden {name} in {body[:400]!r}"
    return html.unescape(m.group(1).decode())


def redeem(b, path, password, confirm=None):
    """Opens the link's form in b and posts password (and its confirmation) back."""
    page = b.get(path)
    assert page.status == 200, page
    action = path.split("?", 1)[0]
    return b.post(action, {"token": hidden(page.body, "token"), "csrf": hidden(page.body, "csrf"),
                           "password": password,
                           "password_confirm": password if confirm is None else confirm})


def token_path(page, token):
    return f"{page}?token={urllib.parse.quote(token, safe='')}"
