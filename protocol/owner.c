/*
** This file contains the ownership rule (owner.h, SPEC.md 9.6): decided
** from the change, the author's role and the state the receiver holds, so
** that the server, every client and any other implementation refuse the
** same forbidden changes.
*/
#include <string.h>
#include "owner.h"
#include "merge.h"

proto_code proto_owner_check(const cJSON *state, const proto_change *ch,
			     const char *author_hex, int author_is_hq,
			     proto_err *err)
{
	const char *owner = state ? proto_state_owner(state) : NULL;
	const char *op = proto_op_name(ch->op);

	if (author_is_hq)
		return PROTO_OK;
	if (ch->op == PROTO_OP_HANDOVER)
		return proto_fail(err, PROTO_E_NOT_OWNER, "record %s: only HQ "
				  "may hand a record to another device",
				  ch->id);
	if (ch->op == PROTO_OP_CREATE) {
		/* The same create again (a duplicate delivery) is harmless;
		** a create of an id another device owns is a takeover. */
		if (!state || !owner || strcmp(owner, author_hex) == 0)
			return PROTO_OK;
		return proto_fail(err, PROTO_E_NOT_OWNER, "record %s already "
				  "exists and belongs to device %s; a create "
				  "cannot take it over", ch->id, owner);
	}
	if (!state || !owner)
		return proto_fail(err, PROTO_E_NOT_OWNER, "record %s: %s of a "
				  "record this replica does not hold; only its "
				  "owner or HQ may change a record, after its "
				  "create", ch->id, op);
	if (strcmp(owner, author_hex) != 0)
		return proto_fail(err, PROTO_E_NOT_OWNER, "record %s belongs "
				  "to device %s; only its owner or HQ may %s "
				  "it", ch->id, owner, op);
	if (ch->kind->append_only && ch->op == PROTO_OP_UPDATE)
		return proto_fail(err, PROTO_E_NOT_OWNER, "record %s: an "
				  "observation is never edited; retract it "
				  "and record it again (HQ may correct it)",
				  ch->id);
	return PROTO_OK;
}
