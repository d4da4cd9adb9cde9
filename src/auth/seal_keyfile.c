/* seal_keyfile.c: reading the at-rest keys from their files (seal.h, seal_keys_load). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "gatehouse/base64.h"
#include "gatehouse/seal.h"

/* Large enough for base64 of a key with padding, a newline and a stray byte to refuse. */
#define FILE_MAX	(BASE64_LEN(SEAL_KEY_LEN) + 8)

/* Reads one key file into key; 0, or -1 with err naming path and the fault. */
static int
key_read(const char *path, unsigned char key[SEAL_KEY_LEN], char *err, size_t errlen)
{
	unsigned char	 buf[FILE_MAX + 1];
	struct stat	 st;
	ssize_t		 got;
	size_t		 n = 0;
	long		 dec;
	int		 fd, rc = -1;

	/* Links are followed (secret stores mount keys as links); the checks are of what is read. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		goto out;
	}
	/* A key others may read is a key others may have: refuse it rather than use it. */
	if ((st.st_mode & 077) != 0) {
		snprintf(err, errlen, "%s: mode %03o lets others read it; chmod 600 it",
		    path, (unsigned)(st.st_mode & 0777));
		goto out;
	}
	while (n < sizeof(buf) && (got = read(fd, buf + n, sizeof(buf) - n)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto out;
		}
		n += (size_t)got;
	}
	if (n == SEAL_KEY_LEN) {
		memcpy(key, buf, SEAL_KEY_LEN);
		rc = 0;
		goto out;
	}
	/* Else base64, as `openssl rand -base64 32` writes it. */
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == '='))
		n--;
	if (n <= FILE_MAX && (dec = base64_decode(BASE64_STD, (const char *)buf, n, key,
	    SEAL_KEY_LEN)) == SEAL_KEY_LEN)
		rc = 0;
	else
		snprintf(err, errlen, "%s: expected %d random bytes or their base64 "
		    "(openssl rand -base64 %d)", path, SEAL_KEY_LEN, SEAL_KEY_LEN);
out:
	OPENSSL_cleanse(buf, sizeof(buf));
	close(fd);
	return rc;
}

int
seal_keys_load(const char *path, const char *old_path, char *err, size_t errlen)
{
	unsigned char	key[SEAL_KEY_LEN], old[SEAL_KEY_LEN];
	int		rc = -1;

	if (path == NULL || *path == '\0')
		snprintf(err, errlen, "secret_key_file is not set: it names the key that seals "
		    "TOTP secrets (README, Configuration)");
	else if (key_read(path, key, err, errlen) == 0 &&
	    (old_path == NULL || key_read(old_path, old, err, errlen) == 0)) {
		if ((rc = seal_keys_set(key, old_path ? old : NULL)) != 0)
			snprintf(err, errlen, "%s%s%s: the keys could not be set (two keys with one id?)",
			    path, old_path ? " and " : "", old_path ? old_path : "");
	}
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(old, sizeof(old));
	return rc;
}
