/*
 * event - names of event kinds and protocols.
 */
#include <string.h>

#include "event.h"

static const char *const kind_names[EVENT__COUNT] = {
    [EVENT_NONE] = "none",
    [EVENT_LOGIN] = "login",
};

const char *
event_kind_name(enum event_kind kind)
{
	if ((unsigned)kind >= EVENT__COUNT || kind_names[kind] == NULL)
		return "?";
	return kind_names[kind];
}

enum event_kind
event_kind_parse(const char *name)
{
	for (int k = EVENT_NONE + 1; k < EVENT__COUNT; k++)
		if (kind_names[k] && strcmp(kind_names[k], name) == 0)
			return (enum event_kind)k;
	return EVENT_NONE;
}

const char *
event_proto_name(enum event_proto proto)
{
	switch (proto) {
	case PROTO_POP3:
		return "pop3";
	case PROTO_IMAP:
		return "imap";
	default:
		return "unknown";
	}
}
