/*
** This file contains the rule of who may change what (SPEC.md 9.6). Every
** receiver runs it on every change before the merge, on the state it holds
** for the record, in the order the server accepted the sets (the pull
** order), so every replica accepts and refuses exactly the same changes:
**
**   - a record's owner is the device whose create made it (the state's
**     "_owner"), until HQ hands it to another device (op handover);
**   - HQ (a device whose role in the roster is "hq") may do anything;
**   - a field device may create a record that does not exist yet, and may
**     update, delete and restore only records it owns, and retract only
**     observations it owns; it may not update an observation (HQ corrects
**     those) nor hand a record over.
**
** The decision needs the signed change and the roster's role of its author;
** nothing else.
*/
#ifndef FIELDSYNC_OWNER_H
#define FIELDSYNC_OWNER_H
#include <cjson/cJSON.h>
#include "proto.h"
#include "changeset.h"

/* May the change ch, by the device author_hex (HQ if author_is_hq), apply
** to a record whose current state is state (NULL: the receiver holds no such
** record)? PROTO_OK, or PROTO_E_NOT_OWNER with a message naming the owner's
** device id and what is allowed. Cannot fail otherwise. */
proto_code proto_owner_check(const cJSON *state, const proto_change *ch,
			     const char *author_hex, int author_is_hq,
			     proto_err *err) PROTO_WUR;
#endif
