/* test_util.c — arena, mm_buf, UTF-8 helpers, atomic writes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "mkmig/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_arena(void **state)
{
	(void)state;
	struct mm_arena a;
	mm_arena_init(&a);
	char *s = mm_strdup(&a, "hello");
	assert_string_equal(s, "hello");
	assert_string_equal(mm_sprintf(&a, "%s-%d", s, 42), "hello-42");
	/* Larger than a chunk: gets its own. */
	char *big = mm_alloc(&a, (size_t)1 << 20);
	assert_non_null(big);
	assert_int_equal(big[12345], 0);
	struct mm_vec v = { 0 };
	for (int i = 0; i < 100; i++)
		mm_vec_push(&a, &v, (void *)(intptr_t)i);
	assert_int_equal(v.len, 100);
	assert_int_equal((intptr_t)mm_vec_at(&v, 99), 99);
	mm_arena_release(&a);
}

static void test_buf(void **state)
{
	(void)state;
	struct mm_buf b = MM_BUF_INIT;
	assert_string_equal(b.buf, "");
	mm_buf_adds(&b, "abc");
	mm_buf_addf(&b, "-%05d", 7);
	mm_buf_addch(&b, '!');
	assert_string_equal(b.buf, "abc-00007!");
	assert_int_equal(b.len, 10);
	size_t n;
	char *s = mm_buf_detach(&b, &n);
	assert_int_equal(n, 10);
	assert_string_equal(b.buf, "");
	free(s);
	mm_buf_release(&b);
}

static void test_utf8(void **state)
{
	(void)state;
	assert_int_equal(mm_utf8_invalid_at("abc", 3), 3);
	assert_int_equal(mm_utf8_invalid_at("a\xc3\xa9z", 4), 4);
	assert_int_equal(mm_utf8_invalid_at("ab\xff", 3), 2);
	assert_int_equal(mm_utf8_invalid_at("\xc0\xaf", 2), 0);   /* overlong */
	assert_int_equal(mm_utf8_invalid_at("\xed\xa0\x80", 3), 0); /* surrogate */
	assert_int_equal(mm_utf8_invalid_at("x\xe2\x82", 3), 1);  /* truncated */
	/* "é" is two bytes: a clip at 2 of "aé" must not split it. */
	assert_int_equal(mm_utf8_clip("a\xc3\xa9", 2), 1);
	assert_int_equal(mm_utf8_clip("a\xc3\xa9", 3), 3);
	assert_true(mm_strcaseeq("ABC", "abc"));
	assert_false(mm_strcaseeq("ab", "abc"));
}

static void test_atomic_write(void **state)
{
	(void)state;
	char dir[] = "/tmp/mkmig-test-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[256];
	snprintf(path, sizeof(path), "%s/a/b/c.sql", dir);
	char sub[256];
	snprintf(sub, sizeof(sub), "%s/a/b", dir);
	assert_int_equal(mm_mkdir_p(sub), 0);
	assert_int_equal(mm_write_file_atomic(path, "one", 3, false), 0);
	assert_int_equal(mm_write_file_atomic(path, "two", 3, false), -1);
	assert_int_equal(errno, EEXIST);
	char *text;
	size_t len;
	assert_int_equal(mm_read_file(path, &text, &len, 100), 0);
	assert_string_equal(text, "one");
	free(text);
	assert_int_equal(mm_write_file_atomic(path, "two", 3, true), 0);
	assert_int_equal(mm_read_file(path, &text, &len, 2), -1); /* over max */
	assert_int_equal(errno, EFBIG);
	unlink(path);
	rmdir(sub);
	snprintf(sub, sizeof(sub), "%s/a", dir);
	rmdir(sub);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arena),
		cmocka_unit_test(test_buf),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_atomic_write),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
