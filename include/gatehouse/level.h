/* level.h: the access-level ladder guest < user < admin < super, one for every dialect. */
#ifndef GATEHOUSE_LEVEL_H
#define GATEHOUSE_LEVEL_H

enum level { LEVEL_GUEST, LEVEL_USER, LEVEL_ADMIN, LEVEL_SUPER, LEVEL__MAX };

const char	*level_name(enum level);
/* The name with its article, for messages: "a user", "an admin". */
const char	*level_a(enum level);
/* 0 and *out set when s names a level; -1 otherwise (NULL included). */
int		 level_parse(const char *s, enum level *out);

#endif
