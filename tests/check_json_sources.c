/* check_json_sources.c — Check suite for the sentence a DingTalk/WeCom message says about a
 * national point's sources (json_sources.c): the upwind case with its numbers, the runners-up,
 * correlation only (no wind, all calm), nobody standing out, a brief that is not one, and a
 * buffer too small to cut a character in half. */
#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "aq_json_sources.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

#define C1                                                                                                                  \
	"{\"rank\":1,\"station\":\"DC-004\",\"name\":\"交道口街道微站\",\"sector\":\"NE\",\"sector_zh\":\"东北\"," \
	"\"excess_pct\":86.2,\"best_lag_h\":2,\"best_r\":0.914}"
#define C2                                                                                                                \
	"{\"rank\":2,\"station\":\"DC-007\",\"name\":\"北新桥微站\",\"sector\":\"NNE\",\"sector_zh\":\"北东北\"," \
	"\"excess_pct\":12,\"best_lag_h\":1,\"best_r\":0.5}"
#define C3                                                                                                     \
	"{\"rank\":3,\"station\":\"DC-001\",\"name\":\"东四微站\",\"sector\":\"E\",\"sector_zh\":\"东\"," \
	"\"excess_pct\":null,\"best_lag_h\":null,\"best_r\":null}"

static const struct {
	const char *brief;
	const char *want; /* the whole sentence */
} cases[] = {
	{"{\"ranking\":\"upwind\",\"wind\":\"available\",\"dominant_sector_zh\":\"东北\",\"contributors\":[" C1 "]}",
	 "来源研判：东北方向 DC-004 交道口街道微站 上风向高出环内中位数 86%（滞后 2 小时，r=0.91）；主导来风扇区：东北。"},
	{"{\"ranking\":\"upwind\",\"wind\":\"available\",\"dominant_sector_zh\":\"东北\",\"contributors\":[" C1 "," C2
	 "," C3 "]}",
	 "来源研判：东北方向 DC-004 交道口街道微站 上风向高出环内中位数 86%（滞后 2 小时，r=0.91）；其次 DC-007（北东北）、"
	 "DC-001（东）；主导来风扇区：东北。"},
	{"{\"ranking\":\"upwind\",\"wind\":\"available\",\"dominant_sector_zh\":\"西北\",\"contributors\":[]}",
	 "来源研判：上风向微站未见高于环内中位数；主导来风扇区：西北。"},
	{"{\"ranking\":\"correlation_only\",\"wind\":\"unavailable\",\"dominant_sector_zh\":null,\"contributors\":[" C1
	 "]}",
	 "来源研判（无风向数据，仅按相关性）：东北方向 DC-004 交道口街道微站 与国控点相关系数 0.91（滞后 2 小时）。"},
	{"{\"ranking\":\"correlation_only\",\"wind\":\"available\",\"dominant_sector_zh\":null,\"contributors\":[]}",
	 "来源研判（全时段静风，仅按相关性）：环内微站与国控点无明显相关。"},
	{"{\"ranking\":\"upwind\",\"wind\":\"available\",\"dominant_sector_zh\":\"东\",\"contributors\":[" C3 "]}",
	 "来源研判：东方向 DC-001 东四微站 上风向；主导来风扇区：东。"},
	{"[1, 2]", ""},
};

START_TEST(test_sentence)
{
	json_t *brief = json_loads(cases[_i].brief, 0, NULL);
	char buf[1024];
	ck_assert_ptr_nonnull(brief);
	aq_sources_sentence_zh(brief, buf, sizeof buf);
	ck_assert_str_eq(buf, cases[_i].want);
	json_decref(brief);
}
END_TEST

START_TEST(test_small_buffer_keeps_whole_parts)
{
	json_t *brief = json_loads(cases[1].brief, 0, NULL);
	char buf[100];
	aq_sources_sentence_zh(brief, buf, sizeof buf);
	/* Whole parts up to the first that does not fit: never half a character, never a hole. */
	ck_assert_str_eq(buf, "来源研判：东北方向 DC-004 交道口街道微站 上风向高出环内中位数 86%");
	aq_sources_sentence_zh(NULL, buf, sizeof buf);
	ck_assert_str_eq(buf, "");
	json_decref(brief);
}
END_TEST

static Suite *json_sources_suite(void)
{
	Suite *s = suite_create("json_sources");
	TCase *tc = tcase_create("sentence");
	tcase_add_loop_test(tc, test_sentence, 0, N(cases));
	tcase_add_test(tc, test_small_buffer_keeps_whole_parts);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(json_sources_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
