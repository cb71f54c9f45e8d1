/*
 * recog - the table of built-in recognisers.
 *
 * DESCRIPTION
 *	recog_builtin[] lists every recogniser compiled in, in the order
 *	the dispatcher tries them when several read the same program
 *	(pop3d, imapd).  Their shapes never overlap: each anchors on its
 *	server's own first words.  The POP/IMAP ones come first (.login:
 *	the admin's login_servers picks among them); postfix, which reads
 *	the MTA's rejects for the anti-abuse rules, is always on.
 *
 * SECURITY
 *	None here; see each recog_<server>.c.
 *
 * DIAGNOSTICS
 *	None.
 */
#include <string.h>

#include "recog.h"

extern const struct recog recog_dovecot, recog_courier, recog_cyrus,
    recog_uwimap, recog_vmpop3d, recog_qpopper, recog_gnupop3d, recog_popa3d,
    recog_solidpop3d, recog_perdition, recog_vpopmail, recog_teapop,
    recog_postfix;

const struct recog *const recog_builtin[] = {
    &recog_dovecot,
    &recog_courier,
    &recog_cyrus,
    &recog_uwimap,
    &recog_vmpop3d,
    &recog_qpopper,
    &recog_gnupop3d,
    &recog_popa3d,
    &recog_solidpop3d,
    &recog_perdition,
    &recog_vpopmail,
    &recog_teapop,
    &recog_postfix,
    NULL,
};

/* recog_find - a built-in recogniser by name, or NULL */
const struct recog *
recog_find(const char *name)
{
	for (const struct recog *const *r = recog_builtin; *r; r++)
		if (strcmp((*r)->name, name) == 0)
			return *r;
	return NULL;
}
