/* check_events.c — the event hub (events.c): what a listener reads, when its transport is
 * parked and woken, the bound on a slow listener, the end of streams, and the keep-alive
 * thread that runs whatever the rest of the daemon is doing. */
#include "aq_events.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct fake_transport {
	int parked, woken;
};

static void fake_park(void *ctx)
{
	((struct fake_transport *)ctx)->parked++;
}

static void fake_wake(void *ctx)
{
	((struct fake_transport *)ctx)->woken++;
}

static const struct aq_event_sink fake_sink = {fake_park, fake_wake};

/* Reads everything pending into buf (NUL-terminated); returns the last aq_events_read result. */
static long drain(struct aq_event_listener *l, char *buf, size_t size)
{
	size_t used = 0;
	long n;
	while ((n = aq_events_read(l, buf + used, size - 1 - used)) > 0)
		used += (size_t)n;
	buf[used] = '\0';
	return n;
}

START_TEST(test_hello_then_events_then_park)
{
	struct aq_events *hub = aq_events_new(3600);
	struct fake_transport t = {0};
	char buf[4096];
	struct aq_event_listener *l = aq_events_subscribe(hub, &fake_sink, &t, "retry: 5000\n\n");
	ck_assert_uint_eq(aq_events_listeners(hub), 1);
	ck_assert_int_eq(drain(l, buf, sizeof buf), 0);
	ck_assert_str_eq(buf, "retry: 5000\n\n");
	ck_assert_int_eq(t.parked, 1);
	ck_assert_int_eq(t.woken, 0);
	aq_events_broadcast(hub, "alert", "{\"id\":1}");
	ck_assert_int_eq(t.woken, 1); /* a parked listener is woken once … */
	aq_events_comment(hub, "keep-alive");
	ck_assert_int_eq(t.woken, 1); /* … and not again while it has not parked since */
	ck_assert_int_eq(drain(l, buf, sizeof buf), 0);
	ck_assert_str_eq(buf, "event: alert\ndata: {\"id\":1}\n\n: keep-alive\n\n");
	ck_assert_int_eq(t.parked, 2);
	aq_events_unsubscribe(l);
	ck_assert_uint_eq(aq_events_listeners(hub), 0);
	aq_events_free(hub);
}
END_TEST

START_TEST(test_small_reads_keep_order)
{
	struct aq_events *hub = aq_events_new(3600);
	struct fake_transport t = {0};
	struct aq_event_listener *l = aq_events_subscribe(hub, &fake_sink, &t, NULL);
	aq_events_broadcast(hub, "ranking", "{\"a\":1}");
	aq_events_broadcast(hub, "ranking", "{\"a\":2}");
	char out[128] = {0};
	size_t used = 0;
	long n;
	while ((n = aq_events_read(l, out + used, 3)) > 0) /* a transport with a tiny buffer */
		used += (size_t)n;
	ck_assert_str_eq(out, "event: ranking\ndata: {\"a\":1}\n\nevent: ranking\ndata: {\"a\":2}\n\n");
	aq_events_unsubscribe(l);
	aq_events_free(hub);
}
END_TEST

START_TEST(test_slow_listener_dropped_others_kept)
{
	struct aq_events *hub = aq_events_new(3600);
	struct fake_transport slow = {0}, quick = {0};
	char buf[8192];
	struct aq_event_listener *ls = aq_events_subscribe(hub, &fake_sink, &slow, NULL);
	struct aq_event_listener *lq = aq_events_subscribe(hub, &fake_sink, &quick, NULL);
	char *big = malloc(600 * 1024);
	memset(big, 'x', 600 * 1024 - 1);
	big[600 * 1024 - 1] = '\0';
	aq_events_broadcast(hub, "ranking", big);
	ck_assert_int_eq(aq_events_read(lq, buf, sizeof buf), (long)sizeof buf); /* quick reads some */
	while (aq_events_read(lq, buf, sizeof buf) > 0)
		;
	aq_events_broadcast(hub, "ranking", big); /* the slow one is now over 1 MiB behind */
	free(big);
	aq_events_broadcast(hub, "alert", "{}");
	/* The slow listener gets what it had, then the end; the quick one goes on. */
	long n, total = 0;
	while ((n = aq_events_read(ls, buf, sizeof buf)) > 0)
		total += n;
	ck_assert_int_eq(n, -1);
	ck_assert_int_gt(total, 600 * 1024);
	ck_assert_int_lt(total, 1024 * 1024);
	while ((n = aq_events_read(lq, buf, sizeof buf)) > 0)
		;
	ck_assert_int_eq(n, 0);
	aq_events_unsubscribe(ls);
	aq_events_unsubscribe(lq);
	aq_events_free(hub);
}
END_TEST

START_TEST(test_shutdown_ends_streams_after_their_buffer)
{
	struct aq_events *hub = aq_events_new(3600);
	struct fake_transport t = {0};
	char buf[256];
	struct aq_event_listener *l = aq_events_subscribe(hub, &fake_sink, &t, NULL);
	ck_assert_int_eq(aq_events_read(l, buf, sizeof buf), 0);
	aq_events_broadcast(hub, "alert", "{\"last\":true}");
	aq_events_shutdown(hub);
	ck_assert_int_ge(t.woken, 1);
	ck_assert_int_eq(drain(l, buf, sizeof buf), -1);
	ck_assert_str_eq(buf, "event: alert\ndata: {\"last\":true}\n\n");
	/* A listener that arrives after the shutdown ends at once. */
	struct aq_event_listener *late = aq_events_subscribe(hub, &fake_sink, &t, "hello\n\n");
	ck_assert_int_eq(drain(late, buf, sizeof buf), -1);
	aq_events_unsubscribe(late);
	aq_events_unsubscribe(l);
	aq_events_free(hub);
}
END_TEST

START_TEST(test_keepalive_thread)
{
	struct aq_events *hub = aq_events_new(1);
	struct fake_transport t = {0};
	char buf[256];
	struct aq_event_listener *l = aq_events_subscribe(hub, &fake_sink, &t, NULL);
	ck_assert_int_eq(aq_events_read(l, buf, sizeof buf), 0);
	struct timespec pause = {2, 300 * 1000000L};
	nanosleep(&pause, NULL); /* nobody else pushes: the hub's own thread does */
	ck_assert_int_ge(t.woken, 1);
	ck_assert_int_eq(drain(l, buf, sizeof buf), 0);
	ck_assert_ptr_nonnull(strstr(buf, ": keep-alive\n\n"));
	aq_events_unsubscribe(l);
	aq_events_free(hub); /* stops and joins the thread promptly */
}
END_TEST

static Suite *events_suite(void)
{
	Suite *s = suite_create("events");
	TCase *tc = tcase_create("hub");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_hello_then_events_then_park);
	tcase_add_test(tc, test_small_reads_keep_order);
	tcase_add_test(tc, test_slow_listener_dropped_others_kept);
	tcase_add_test(tc, test_shutdown_ends_streams_after_their_buffer);
	tcase_add_test(tc, test_keepalive_thread);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(events_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
