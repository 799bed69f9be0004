/*
** This file contains the replay of every saved input of the fuzz target
** tests/fuzz/fuzz_server_push.c as a regular test (SQLite's fuzzcheck habit):
** each file under tests/fuzz/corpus/fuzz_server_push/ goes through the
** target's own entry point, included here so the two never drift apart. A
** crash or sanitizer report found once stays a failing test until fixed.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "tests/fuzz/fuzz_server_push.c"
#include "tests/unit/corpus_replay.h"

static void test_replay(void **state)
{
	(void)state;
	assert_true(corpus_replay("tests/fuzz/corpus/fuzz_server_push",
				  LLVMFuzzerTestOneInput) > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replay),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
