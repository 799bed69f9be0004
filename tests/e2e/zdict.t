#!/bin/bash
# zdict.t: the wire's zstd dictionary is what its committed corpus makes.
# mkdict trains again on protocol/zstd/corpus and must write the committed
# protocol/zstd/fieldsync-1.dict, protocol/zdict.c and protocol/zdict.h byte
# for byte (the trainer is deterministic: fixed keys, clock and parameters,
# one thread); a corpus changed by one record makes another dictionary; and
# the corpus is what `fieldsync import` takes: a fresh store imports every
# line, on a day after the corpus's last date (faketime: a client refuses
# dates after tomorrow). (The embedded bytes, the id and a round trip are
# tests/unit/test_proto_zdict.c.) About 3 s.
. "$(dirname "$0")/lib.sh"
MKDICT=$FIELDSYNC_TOOLS/mkdict
R=$FIELDSYNC_ROOT
command -v faketime >/dev/null || bail "faketime is needed"
# faketime preloads itself: under ASan (make check) the runtime must not
# insist on coming first.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
plan 7

W=$(tmpdir)
run "$MKDICT" train "$R/protocol/zstd/corpus" "$W/d" "$W/zdict.c" "$W/zdict.h"
is "$RC" 0 "mkdict trains on the committed corpus"
cmp -s "$W/d" "$R/protocol/zstd/fieldsync-1.dict"
ok $? "...and writes protocol/zstd/fieldsync-1.dict byte for byte"
cmp -s "$W/zdict.c" "$R/protocol/zdict.c"
ok $? "...and protocol/zdict.c"
cmp -s "$W/zdict.h" "$R/protocol/zdict.h"
ok $? "...and protocol/zdict.h"

# One record less (the first line) trains another dictionary.
mkdir "$W/c2"
tail -n +2 "$R/protocol/zstd/corpus/records.jsonl" >"$W/c2/records.jsonl"
cp "$R/protocol/zstd/corpus/reasons.txt" "$W/c2/"
run "$MKDICT" train "$W/c2" "$W/d2" "$W/z2.c" "$W/z2.h"
cmp -s "$W/d2" "$W/d"
is "$RC $?" "0 1" "a corpus without its first record makes another dictionary"

fsd "$W/s" init --name "Corpus" >/dev/null 2>&1
run faketime '2026-10-01 12:00:00' "$FIELDSYNC_BIN" --dir "$W/s" import "$R/protocol/zstd/corpus/records.jsonl"
is "$RC" 0 "fieldsync imports the whole corpus"
is "$(printf '%s\n' "$OUT" | grep -c .)" \
	"$(grep -c . "$R/protocol/zstd/corpus/records.jsonl")" \
	"...every line, one new record each"
