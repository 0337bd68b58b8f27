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
	/* Strings are packed unaligned; the next record is aligned again, and zeroed. */
	char *odd = mm_strndup(&a, "abc", 3);
	long long *rec = mm_alloc(&a, sizeof(*rec));
	assert_int_equal((uintptr_t)rec % _Alignof(long long), 0);
	assert_true((char *)rec - odd < 16);
	assert_int_equal(*rec, 0);
	assert_string_equal(odd, "abc");
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

/* mm_map: two-part keys kept apart, values in insertion order, removal, growth past the first
 * table, formatting that needs a second pass. */
static void test_map(void **state)
{
	(void)state;
	struct mm_arena a;
	mm_arena_init(&a);
	struct mm_map m = { 0 };
	int x, y, z;
	assert_null(mm_map_get(&m, "public", "t"));
	mm_map_add(&a, &m, "a", "bc", &x);
	mm_map_add(&a, &m, "ab", "c", &y);
	mm_map_add(&a, &m, "a", "bc", &z);
	struct mm_vec *v = mm_map_get(&m, "a", "bc");
	assert_non_null(v);
	assert_int_equal(v->len, 2);
	assert_ptr_equal(mm_vec_at(v, 0), &x);
	assert_ptr_equal(mm_vec_at(v, 1), &z);
	assert_ptr_equal(mm_vec_at(mm_map_get(&m, "ab", "c"), 0), &y);
	mm_map_remove(&m, "a", "bc", &x);
	assert_int_equal(v->len, 1);
	assert_ptr_equal(mm_vec_at(v, 0), &z);
	static int many[1000];
	for (int i = 0; i < 1000; i++)
		mm_map_add(&a, &m, "s", mm_sprintf(&a, "name_%d", i), &many[i]);
	for (int i = 0; i < 1000; i++) {
		struct mm_vec *w = mm_map_get(&m, "s", mm_sprintf(&a, "name_%d", i));
		assert_non_null(w);
		assert_ptr_equal(mm_vec_at(w, 0), &many[i]);
	}
	assert_null(mm_map_get(&m, "s", "name_1000"));
	assert_ptr_equal(mm_vec_at(mm_map_get(&m, "ab", "c"), 0), &y);
	/* mm_sprintf and mm_buf_addf past their one-pass room */
	char *big = mm_sprintf(&a, "%0300d|%s", 7, "end");
	assert_int_equal(strlen(big), 304);
	struct mm_buf b = MM_BUF_INIT;
	for (int i = 0; i < 50; i++)
		mm_buf_addf(&b, "%s-%d;", big, i);
	assert_int_equal(b.len, 10 * 307 + 40 * 308); /* "<big>-<i>;" */
	assert_string_equal(b.buf + b.len - 7, "end-49;");
	mm_buf_release(&b);
	mm_arena_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arena),
		cmocka_unit_test(test_buf),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_atomic_write),
		cmocka_unit_test(test_map),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
