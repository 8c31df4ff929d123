/* check_aqi.c — Check suite for aqi.c: HJ 633-2012 and HJ 633-2026 side by side — known answers,
 * every breakpoint of every table (at, one published unit above and below; expected values computed independently in
 * exact rational arithmetic), above-scale and cross-table rules, levels, primary pollutants
 * and GB/T 8170 half-to-even rounding. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "aq_aqi.h"

static const struct aq_aqi_standard *std2012(void)
{
	return aq_aqi_standard_for_date(2017, 12, 7);
}

/* --- IAQI known answers (SPEC §9) --- */

struct iaqi_case {
	enum aq_pollutant p;
	enum aq_period period;
	double conc;
	int iaqi;
	bool above;
};

static const struct iaqi_case known[] = {
	{AQ_PM25, AQ_24H, 35, 50, false},
	{AQ_PM25, AQ_24H, 36, 52, false},
	{AQ_PM25, AQ_24H, 75, 100, false},
	{AQ_PM25, AQ_24H, 80, 107, false},
	{AQ_PM25, AQ_24H, 120, 158, false},
	{AQ_PM25, AQ_24H, 600, 500, true},
	{AQ_PM10, AQ_24H, 151, 101, false},
	{AQ_PM10, AQ_24H, 180, 115, false},
	{AQ_SO2, AQ_24H, 200, 108, false},
	{AQ_NO2, AQ_24H, 100, 110, false},
	{AQ_CO, AQ_24H, 3.5, 88, false},
	{AQ_O3, AQ_8H, 180, 119, false},
	{AQ_O3, AQ_1H, 250, 125, false},
	{AQ_NO2, AQ_1H, 150, 75, false},
	{AQ_CO, AQ_1H, 12, 104, false},
	/* above the scale, and the top breakpoint itself */
	{AQ_PM25, AQ_24H, 500, 500, false},
	{AQ_PM25, AQ_24H, 501, 500, true},
	/* SO2 1 h above 800 is read on the 24 h table: 200 + 1 × 100/800 → 201 */
	{AQ_SO2, AQ_1H, 801, 201, false},
	{AQ_SO2, AQ_1H, 1600, 300, false},
	{AQ_SO2, AQ_1H, 3000, 500, true},
	/* O3 8 h above 800: the caller must use the 1 h value */
	{AQ_O3, AQ_8H, 801, AQ_IAQI_USE_O3_1H, false},
	/* no table, negative */
	{AQ_PM25, AQ_1H, 50, -1, false},
	{AQ_PM10, AQ_8H, 50, -1, false},
	{AQ_SO2, AQ_8H, 50, -1, false},
	{AQ_PM25, AQ_24H, -0.5, -1, false},
	{AQ_PM25, AQ_24H, NAN, -1, false},
};

START_TEST(test_iaqi_known)
{
	const struct iaqi_case *c = &known[_i];
	bool above = !c->above; /* must be overwritten */
	int v = aq_iaqi(std2012(), c->p, c->period, c->conc, &above);
	ck_assert_msg(v == c->iaqi, "%s period %d conc %g: IAQI %d, want %d", aq_pollutant_field(c->p), (int)c->period,
		      c->conc, v, c->iaqi);
	ck_assert_msg(above == c->above, "%s conc %g: above_scale %d, want %d", aq_pollutant_field(c->p), c->conc,
		      above, c->above);
	/* above_scale may be NULL */
	ck_assert_int_eq(aq_iaqi(std2012(), c->p, c->period, c->conc, NULL), c->iaqi);
}
END_TEST

/* Generated with exact fractions: for every breakpoint b of every column, b − unit, b and
 * b + unit (unit 1 µg/m³, CO 0.1 mg/m³) → ceil of the exact interpolation. */
static const struct iaqi_case breakpoints[] = {
	{AQ_SO2, AQ_24H, -1, -1, false},
	{AQ_SO2, AQ_24H, 0, 0, false},
	{AQ_SO2, AQ_24H, 1, 1, false},
	{AQ_SO2, AQ_24H, 49, 49, false},
	{AQ_SO2, AQ_24H, 50, 50, false},
	{AQ_SO2, AQ_24H, 51, 51, false},
	{AQ_SO2, AQ_24H, 149, 100, false},
	{AQ_SO2, AQ_24H, 150, 100, false},
	{AQ_SO2, AQ_24H, 151, 101, false},
	{AQ_SO2, AQ_24H, 474, 150, false},
	{AQ_SO2, AQ_24H, 475, 150, false},
	{AQ_SO2, AQ_24H, 476, 151, false},
	{AQ_SO2, AQ_24H, 799, 200, false},
	{AQ_SO2, AQ_24H, 800, 200, false},
	{AQ_SO2, AQ_24H, 801, 201, false},
	{AQ_SO2, AQ_24H, 1599, 300, false},
	{AQ_SO2, AQ_24H, 1600, 300, false},
	{AQ_SO2, AQ_24H, 1601, 301, false},
	{AQ_SO2, AQ_24H, 2099, 400, false},
	{AQ_SO2, AQ_24H, 2100, 400, false},
	{AQ_SO2, AQ_24H, 2101, 401, false},
	{AQ_SO2, AQ_24H, 2619, 500, false},
	{AQ_SO2, AQ_24H, 2620, 500, false},
	{AQ_SO2, AQ_24H, 2621, 500, true},
	{AQ_SO2, AQ_1H, -1, -1, false},
	{AQ_SO2, AQ_1H, 0, 0, false},
	{AQ_SO2, AQ_1H, 1, 1, false},
	{AQ_SO2, AQ_1H, 149, 50, false},
	{AQ_SO2, AQ_1H, 150, 50, false},
	{AQ_SO2, AQ_1H, 151, 51, false},
	{AQ_SO2, AQ_1H, 499, 100, false},
	{AQ_SO2, AQ_1H, 500, 100, false},
	{AQ_SO2, AQ_1H, 501, 101, false},
	{AQ_SO2, AQ_1H, 649, 150, false},
	{AQ_SO2, AQ_1H, 650, 150, false},
	{AQ_SO2, AQ_1H, 651, 151, false},
	{AQ_SO2, AQ_1H, 799, 200, false},
	{AQ_SO2, AQ_1H, 800, 200, false},
	{AQ_SO2, AQ_1H, 801, 201, false},
	{AQ_NO2, AQ_24H, -1, -1, false},
	{AQ_NO2, AQ_24H, 0, 0, false},
	{AQ_NO2, AQ_24H, 1, 2, false},
	{AQ_NO2, AQ_24H, 39, 49, false},
	{AQ_NO2, AQ_24H, 40, 50, false},
	{AQ_NO2, AQ_24H, 41, 52, false},
	{AQ_NO2, AQ_24H, 79, 99, false},
	{AQ_NO2, AQ_24H, 80, 100, false},
	{AQ_NO2, AQ_24H, 81, 101, false},
	{AQ_NO2, AQ_24H, 179, 150, false},
	{AQ_NO2, AQ_24H, 180, 150, false},
	{AQ_NO2, AQ_24H, 181, 151, false},
	{AQ_NO2, AQ_24H, 279, 200, false},
	{AQ_NO2, AQ_24H, 280, 200, false},
	{AQ_NO2, AQ_24H, 281, 201, false},
	{AQ_NO2, AQ_24H, 564, 300, false},
	{AQ_NO2, AQ_24H, 565, 300, false},
	{AQ_NO2, AQ_24H, 566, 301, false},
	{AQ_NO2, AQ_24H, 749, 400, false},
	{AQ_NO2, AQ_24H, 750, 400, false},
	{AQ_NO2, AQ_24H, 751, 401, false},
	{AQ_NO2, AQ_24H, 939, 500, false},
	{AQ_NO2, AQ_24H, 940, 500, false},
	{AQ_NO2, AQ_24H, 941, 500, true},
	{AQ_NO2, AQ_1H, -1, -1, false},
	{AQ_NO2, AQ_1H, 0, 0, false},
	{AQ_NO2, AQ_1H, 1, 1, false},
	{AQ_NO2, AQ_1H, 99, 50, false},
	{AQ_NO2, AQ_1H, 100, 50, false},
	{AQ_NO2, AQ_1H, 101, 51, false},
	{AQ_NO2, AQ_1H, 199, 100, false},
	{AQ_NO2, AQ_1H, 200, 100, false},
	{AQ_NO2, AQ_1H, 201, 101, false},
	{AQ_NO2, AQ_1H, 699, 150, false},
	{AQ_NO2, AQ_1H, 700, 150, false},
	{AQ_NO2, AQ_1H, 701, 151, false},
	{AQ_NO2, AQ_1H, 1199, 200, false},
	{AQ_NO2, AQ_1H, 1200, 200, false},
	{AQ_NO2, AQ_1H, 1201, 201, false},
	{AQ_NO2, AQ_1H, 2339, 300, false},
	{AQ_NO2, AQ_1H, 2340, 300, false},
	{AQ_NO2, AQ_1H, 2341, 301, false},
	{AQ_NO2, AQ_1H, 3089, 400, false},
	{AQ_NO2, AQ_1H, 3090, 400, false},
	{AQ_NO2, AQ_1H, 3091, 401, false},
	{AQ_NO2, AQ_1H, 3839, 500, false},
	{AQ_NO2, AQ_1H, 3840, 500, false},
	{AQ_NO2, AQ_1H, 3841, 500, true},
	{AQ_PM10, AQ_24H, -1, -1, false},
	{AQ_PM10, AQ_24H, 0, 0, false},
	{AQ_PM10, AQ_24H, 1, 1, false},
	{AQ_PM10, AQ_24H, 49, 49, false},
	{AQ_PM10, AQ_24H, 50, 50, false},
	{AQ_PM10, AQ_24H, 51, 51, false},
	{AQ_PM10, AQ_24H, 149, 100, false},
	{AQ_PM10, AQ_24H, 150, 100, false},
	{AQ_PM10, AQ_24H, 151, 101, false},
	{AQ_PM10, AQ_24H, 249, 150, false},
	{AQ_PM10, AQ_24H, 250, 150, false},
	{AQ_PM10, AQ_24H, 251, 151, false},
	{AQ_PM10, AQ_24H, 349, 200, false},
	{AQ_PM10, AQ_24H, 350, 200, false},
	{AQ_PM10, AQ_24H, 351, 202, false},
	{AQ_PM10, AQ_24H, 419, 299, false},
	{AQ_PM10, AQ_24H, 420, 300, false},
	{AQ_PM10, AQ_24H, 421, 302, false},
	{AQ_PM10, AQ_24H, 499, 399, false},
	{AQ_PM10, AQ_24H, 500, 400, false},
	{AQ_PM10, AQ_24H, 501, 401, false},
	{AQ_PM10, AQ_24H, 599, 499, false},
	{AQ_PM10, AQ_24H, 600, 500, false},
	{AQ_PM10, AQ_24H, 601, 500, true},
	{AQ_CO, AQ_24H, -0.1, -1, false},
	{AQ_CO, AQ_24H, 0.0, 0, false},
	{AQ_CO, AQ_24H, 0.1, 3, false},
	{AQ_CO, AQ_24H, 1.9, 48, false},
	{AQ_CO, AQ_24H, 2.0, 50, false},
	{AQ_CO, AQ_24H, 2.1, 53, false},
	{AQ_CO, AQ_24H, 3.9, 98, false},
	{AQ_CO, AQ_24H, 4.0, 100, false},
	{AQ_CO, AQ_24H, 4.1, 101, false},
	{AQ_CO, AQ_24H, 13.9, 150, false},
	{AQ_CO, AQ_24H, 14.0, 150, false},
	{AQ_CO, AQ_24H, 14.1, 151, false},
	{AQ_CO, AQ_24H, 23.9, 200, false},
	{AQ_CO, AQ_24H, 24.0, 200, false},
	{AQ_CO, AQ_24H, 24.1, 201, false},
	{AQ_CO, AQ_24H, 35.9, 300, false},
	{AQ_CO, AQ_24H, 36.0, 300, false},
	{AQ_CO, AQ_24H, 36.1, 301, false},
	{AQ_CO, AQ_24H, 47.9, 400, false},
	{AQ_CO, AQ_24H, 48.0, 400, false},
	{AQ_CO, AQ_24H, 48.1, 401, false},
	{AQ_CO, AQ_24H, 59.9, 500, false},
	{AQ_CO, AQ_24H, 60.0, 500, false},
	{AQ_CO, AQ_24H, 60.1, 500, true},
	{AQ_CO, AQ_1H, -0.1, -1, false},
	{AQ_CO, AQ_1H, 0.0, 0, false},
	{AQ_CO, AQ_1H, 0.1, 1, false},
	{AQ_CO, AQ_1H, 4.9, 49, false},
	{AQ_CO, AQ_1H, 5.0, 50, false},
	{AQ_CO, AQ_1H, 5.1, 51, false},
	{AQ_CO, AQ_1H, 9.9, 99, false},
	{AQ_CO, AQ_1H, 10.0, 100, false},
	{AQ_CO, AQ_1H, 10.1, 101, false},
	{AQ_CO, AQ_1H, 34.9, 150, false},
	{AQ_CO, AQ_1H, 35.0, 150, false},
	{AQ_CO, AQ_1H, 35.1, 151, false},
	{AQ_CO, AQ_1H, 59.9, 200, false},
	{AQ_CO, AQ_1H, 60.0, 200, false},
	{AQ_CO, AQ_1H, 60.1, 201, false},
	{AQ_CO, AQ_1H, 89.9, 300, false},
	{AQ_CO, AQ_1H, 90.0, 300, false},
	{AQ_CO, AQ_1H, 90.1, 301, false},
	{AQ_CO, AQ_1H, 119.9, 400, false},
	{AQ_CO, AQ_1H, 120.0, 400, false},
	{AQ_CO, AQ_1H, 120.1, 401, false},
	{AQ_CO, AQ_1H, 149.9, 500, false},
	{AQ_CO, AQ_1H, 150.0, 500, false},
	{AQ_CO, AQ_1H, 150.1, 500, true},
	{AQ_O3, AQ_1H, -1, -1, false},
	{AQ_O3, AQ_1H, 0, 0, false},
	{AQ_O3, AQ_1H, 1, 1, false},
	{AQ_O3, AQ_1H, 159, 50, false},
	{AQ_O3, AQ_1H, 160, 50, false},
	{AQ_O3, AQ_1H, 161, 52, false},
	{AQ_O3, AQ_1H, 199, 99, false},
	{AQ_O3, AQ_1H, 200, 100, false},
	{AQ_O3, AQ_1H, 201, 101, false},
	{AQ_O3, AQ_1H, 299, 150, false},
	{AQ_O3, AQ_1H, 300, 150, false},
	{AQ_O3, AQ_1H, 301, 151, false},
	{AQ_O3, AQ_1H, 399, 200, false},
	{AQ_O3, AQ_1H, 400, 200, false},
	{AQ_O3, AQ_1H, 401, 201, false},
	{AQ_O3, AQ_1H, 799, 300, false},
	{AQ_O3, AQ_1H, 800, 300, false},
	{AQ_O3, AQ_1H, 801, 301, false},
	{AQ_O3, AQ_1H, 999, 400, false},
	{AQ_O3, AQ_1H, 1000, 400, false},
	{AQ_O3, AQ_1H, 1001, 401, false},
	{AQ_O3, AQ_1H, 1199, 500, false},
	{AQ_O3, AQ_1H, 1200, 500, false},
	{AQ_O3, AQ_1H, 1201, 500, true},
	{AQ_O3, AQ_8H, -1, -1, false},
	{AQ_O3, AQ_8H, 0, 0, false},
	{AQ_O3, AQ_8H, 1, 1, false},
	{AQ_O3, AQ_8H, 99, 50, false},
	{AQ_O3, AQ_8H, 100, 50, false},
	{AQ_O3, AQ_8H, 101, 51, false},
	{AQ_O3, AQ_8H, 159, 100, false},
	{AQ_O3, AQ_8H, 160, 100, false},
	{AQ_O3, AQ_8H, 161, 101, false},
	{AQ_O3, AQ_8H, 214, 150, false},
	{AQ_O3, AQ_8H, 215, 150, false},
	{AQ_O3, AQ_8H, 216, 151, false},
	{AQ_O3, AQ_8H, 264, 199, false},
	{AQ_O3, AQ_8H, 265, 200, false},
	{AQ_O3, AQ_8H, 266, 201, false},
	{AQ_O3, AQ_8H, 799, 300, false},
	{AQ_O3, AQ_8H, 800, 300, false},
	{AQ_O3, AQ_8H, 801, AQ_IAQI_USE_O3_1H, false},
	{AQ_PM25, AQ_24H, -1, -1, false},
	{AQ_PM25, AQ_24H, 0, 0, false},
	{AQ_PM25, AQ_24H, 1, 2, false},
	{AQ_PM25, AQ_24H, 34, 49, false},
	{AQ_PM25, AQ_24H, 35, 50, false},
	{AQ_PM25, AQ_24H, 36, 52, false},
	{AQ_PM25, AQ_24H, 74, 99, false},
	{AQ_PM25, AQ_24H, 75, 100, false},
	{AQ_PM25, AQ_24H, 76, 102, false},
	{AQ_PM25, AQ_24H, 114, 149, false},
	{AQ_PM25, AQ_24H, 115, 150, false},
	{AQ_PM25, AQ_24H, 116, 152, false},
	{AQ_PM25, AQ_24H, 149, 199, false},
	{AQ_PM25, AQ_24H, 150, 200, false},
	{AQ_PM25, AQ_24H, 151, 201, false},
	{AQ_PM25, AQ_24H, 249, 299, false},
	{AQ_PM25, AQ_24H, 250, 300, false},
	{AQ_PM25, AQ_24H, 251, 301, false},
	{AQ_PM25, AQ_24H, 349, 399, false},
	{AQ_PM25, AQ_24H, 350, 400, false},
	{AQ_PM25, AQ_24H, 351, 401, false},
	{AQ_PM25, AQ_24H, 499, 500, false},
	{AQ_PM25, AQ_24H, 500, 500, false},
	{AQ_PM25, AQ_24H, 501, 500, true},
};

START_TEST(test_iaqi_breakpoints)
{
	const struct iaqi_case *c = &breakpoints[_i];
	bool above = false;
	int v = aq_iaqi(std2012(), c->p, c->period, c->conc, &above);
	ck_assert_msg(v == c->iaqi && above == c->above, "%s period %d conc %.1f: IAQI %d above %d, want %d above %d",
		      aq_pollutant_field(c->p), (int)c->period, c->conc, v, above, c->iaqi, c->above);
}
END_TEST

/* --- HJ 633-2026 beside 2012 --- */

static const struct aq_aqi_standard *std2026(void)
{
	return aq_aqi_standard_for_date(2026, 3, 1);
}

/* The SPEC §9 known answers under HJ 633-2026 (rounded up), and its rules above a column's
 * last value: SO2 1 h > 800 → 200, O3 8 h > 800 → 300 (2012 switched tables instead). */
static const struct iaqi_case known2026[] = {
	{AQ_PM25, AQ_24H, 60, 100, false},  {AQ_PM25, AQ_24H, 75, 114, false},	{AQ_PM25, AQ_24H, 60.11, 101, false},
	{AQ_PM25, AQ_24H, 115, 150, false}, {AQ_PM10, AQ_24H, 120, 100, false}, {AQ_PM10, AQ_24H, 150, 112, false},
	{AQ_PM10, AQ_24H, 250, 150, false}, {AQ_SO2, AQ_1H, 801, 200, false},	{AQ_SO2, AQ_1H, 5000, 200, false},
	{AQ_O3, AQ_8H, 801, 300, false},    {AQ_O3, AQ_8H, 2000, 300, false},	{AQ_PM25, AQ_24H, 501, 500, true},
};

START_TEST(test_iaqi_known_2026)
{
	const struct iaqi_case *c = &known2026[_i];
	bool above = !c->above;
	int v = aq_iaqi(std2026(), c->p, c->period, c->conc, &above);
	ck_assert_msg(v == c->iaqi && above == c->above,
		      "2026 %s period %d conc %g: IAQI %d above %d, want %d above %d", aq_pollutant_field(c->p),
		      (int)c->period, c->conc, v, above, c->iaqi, c->above);
}
END_TEST

/* Generated with exact fractions from the HJ 633-2026 table of SPEC §9 (PM2.5 IAQI-100 row
 * at 60, PM10 at 120, the rest as 2012; fixed IAQIs above SO2 1 h and O3 8 h): for every
 * breakpoint b of every column, b − unit, b and b + unit → ceil of the exact interpolation. */
static const struct iaqi_case breakpoints2026[] = {
	{AQ_SO2, AQ_24H, -1, -1, false},    {AQ_SO2, AQ_24H, 0, 0, false},	{AQ_SO2, AQ_24H, 1, 1, false},
	{AQ_SO2, AQ_24H, 49, 49, false},    {AQ_SO2, AQ_24H, 50, 50, false},	{AQ_SO2, AQ_24H, 51, 51, false},
	{AQ_SO2, AQ_24H, 149, 100, false},  {AQ_SO2, AQ_24H, 150, 100, false},	{AQ_SO2, AQ_24H, 151, 101, false},
	{AQ_SO2, AQ_24H, 474, 150, false},  {AQ_SO2, AQ_24H, 475, 150, false},	{AQ_SO2, AQ_24H, 476, 151, false},
	{AQ_SO2, AQ_24H, 799, 200, false},  {AQ_SO2, AQ_24H, 800, 200, false},	{AQ_SO2, AQ_24H, 801, 201, false},
	{AQ_SO2, AQ_24H, 1599, 300, false}, {AQ_SO2, AQ_24H, 1600, 300, false}, {AQ_SO2, AQ_24H, 1601, 301, false},
	{AQ_SO2, AQ_24H, 2099, 400, false}, {AQ_SO2, AQ_24H, 2100, 400, false}, {AQ_SO2, AQ_24H, 2101, 401, false},
	{AQ_SO2, AQ_24H, 2619, 500, false}, {AQ_SO2, AQ_24H, 2620, 500, false}, {AQ_SO2, AQ_24H, 2621, 500, true},
	{AQ_SO2, AQ_1H, -1, -1, false},	    {AQ_SO2, AQ_1H, 0, 0, false},	{AQ_SO2, AQ_1H, 1, 1, false},
	{AQ_SO2, AQ_1H, 149, 50, false},    {AQ_SO2, AQ_1H, 150, 50, false},	{AQ_SO2, AQ_1H, 151, 51, false},
	{AQ_SO2, AQ_1H, 499, 100, false},   {AQ_SO2, AQ_1H, 500, 100, false},	{AQ_SO2, AQ_1H, 501, 101, false},
	{AQ_SO2, AQ_1H, 649, 150, false},   {AQ_SO2, AQ_1H, 650, 150, false},	{AQ_SO2, AQ_1H, 651, 151, false},
	{AQ_SO2, AQ_1H, 799, 200, false},   {AQ_SO2, AQ_1H, 800, 200, false},	{AQ_SO2, AQ_1H, 801, 200, false},
	{AQ_NO2, AQ_24H, -1, -1, false},    {AQ_NO2, AQ_24H, 0, 0, false},	{AQ_NO2, AQ_24H, 1, 2, false},
	{AQ_NO2, AQ_24H, 39, 49, false},    {AQ_NO2, AQ_24H, 40, 50, false},	{AQ_NO2, AQ_24H, 41, 52, false},
	{AQ_NO2, AQ_24H, 79, 99, false},    {AQ_NO2, AQ_24H, 80, 100, false},	{AQ_NO2, AQ_24H, 81, 101, false},
	{AQ_NO2, AQ_24H, 179, 150, false},  {AQ_NO2, AQ_24H, 180, 150, false},	{AQ_NO2, AQ_24H, 181, 151, false},
	{AQ_NO2, AQ_24H, 279, 200, false},  {AQ_NO2, AQ_24H, 280, 200, false},	{AQ_NO2, AQ_24H, 281, 201, false},
	{AQ_NO2, AQ_24H, 564, 300, false},  {AQ_NO2, AQ_24H, 565, 300, false},	{AQ_NO2, AQ_24H, 566, 301, false},
	{AQ_NO2, AQ_24H, 749, 400, false},  {AQ_NO2, AQ_24H, 750, 400, false},	{AQ_NO2, AQ_24H, 751, 401, false},
	{AQ_NO2, AQ_24H, 939, 500, false},  {AQ_NO2, AQ_24H, 940, 500, false},	{AQ_NO2, AQ_24H, 941, 500, true},
	{AQ_NO2, AQ_1H, -1, -1, false},	    {AQ_NO2, AQ_1H, 0, 0, false},	{AQ_NO2, AQ_1H, 1, 1, false},
	{AQ_NO2, AQ_1H, 99, 50, false},	    {AQ_NO2, AQ_1H, 100, 50, false},	{AQ_NO2, AQ_1H, 101, 51, false},
	{AQ_NO2, AQ_1H, 199, 100, false},   {AQ_NO2, AQ_1H, 200, 100, false},	{AQ_NO2, AQ_1H, 201, 101, false},
	{AQ_NO2, AQ_1H, 699, 150, false},   {AQ_NO2, AQ_1H, 700, 150, false},	{AQ_NO2, AQ_1H, 701, 151, false},
	{AQ_NO2, AQ_1H, 1199, 200, false},  {AQ_NO2, AQ_1H, 1200, 200, false},	{AQ_NO2, AQ_1H, 1201, 201, false},
	{AQ_NO2, AQ_1H, 2339, 300, false},  {AQ_NO2, AQ_1H, 2340, 300, false},	{AQ_NO2, AQ_1H, 2341, 301, false},
	{AQ_NO2, AQ_1H, 3089, 400, false},  {AQ_NO2, AQ_1H, 3090, 400, false},	{AQ_NO2, AQ_1H, 3091, 401, false},
	{AQ_NO2, AQ_1H, 3839, 500, false},  {AQ_NO2, AQ_1H, 3840, 500, false},	{AQ_NO2, AQ_1H, 3841, 500, true},
	{AQ_PM10, AQ_24H, -1, -1, false},   {AQ_PM10, AQ_24H, 0, 0, false},	{AQ_PM10, AQ_24H, 1, 1, false},
	{AQ_PM10, AQ_24H, 49, 49, false},   {AQ_PM10, AQ_24H, 50, 50, false},	{AQ_PM10, AQ_24H, 51, 51, false},
	{AQ_PM10, AQ_24H, 119, 100, false}, {AQ_PM10, AQ_24H, 120, 100, false}, {AQ_PM10, AQ_24H, 121, 101, false},
	{AQ_PM10, AQ_24H, 249, 150, false}, {AQ_PM10, AQ_24H, 250, 150, false}, {AQ_PM10, AQ_24H, 251, 151, false},
	{AQ_PM10, AQ_24H, 349, 200, false}, {AQ_PM10, AQ_24H, 350, 200, false}, {AQ_PM10, AQ_24H, 351, 202, false},
	{AQ_PM10, AQ_24H, 419, 299, false}, {AQ_PM10, AQ_24H, 420, 300, false}, {AQ_PM10, AQ_24H, 421, 302, false},
	{AQ_PM10, AQ_24H, 499, 399, false}, {AQ_PM10, AQ_24H, 500, 400, false}, {AQ_PM10, AQ_24H, 501, 401, false},
	{AQ_PM10, AQ_24H, 599, 499, false}, {AQ_PM10, AQ_24H, 600, 500, false}, {AQ_PM10, AQ_24H, 601, 500, true},
	{AQ_CO, AQ_24H, -0.1, -1, false},   {AQ_CO, AQ_24H, 0, 0, false},	{AQ_CO, AQ_24H, 0.1, 3, false},
	{AQ_CO, AQ_24H, 1.9, 48, false},    {AQ_CO, AQ_24H, 2, 50, false},	{AQ_CO, AQ_24H, 2.1, 53, false},
	{AQ_CO, AQ_24H, 3.9, 98, false},    {AQ_CO, AQ_24H, 4, 100, false},	{AQ_CO, AQ_24H, 4.1, 101, false},
	{AQ_CO, AQ_24H, 13.9, 150, false},  {AQ_CO, AQ_24H, 14, 150, false},	{AQ_CO, AQ_24H, 14.1, 151, false},
	{AQ_CO, AQ_24H, 23.9, 200, false},  {AQ_CO, AQ_24H, 24, 200, false},	{AQ_CO, AQ_24H, 24.1, 201, false},
	{AQ_CO, AQ_24H, 35.9, 300, false},  {AQ_CO, AQ_24H, 36, 300, false},	{AQ_CO, AQ_24H, 36.1, 301, false},
	{AQ_CO, AQ_24H, 47.9, 400, false},  {AQ_CO, AQ_24H, 48, 400, false},	{AQ_CO, AQ_24H, 48.1, 401, false},
	{AQ_CO, AQ_24H, 59.9, 500, false},  {AQ_CO, AQ_24H, 60, 500, false},	{AQ_CO, AQ_24H, 60.1, 500, true},
	{AQ_CO, AQ_1H, -0.1, -1, false},    {AQ_CO, AQ_1H, 0, 0, false},	{AQ_CO, AQ_1H, 0.1, 1, false},
	{AQ_CO, AQ_1H, 4.9, 49, false},	    {AQ_CO, AQ_1H, 5, 50, false},	{AQ_CO, AQ_1H, 5.1, 51, false},
	{AQ_CO, AQ_1H, 9.9, 99, false},	    {AQ_CO, AQ_1H, 10, 100, false},	{AQ_CO, AQ_1H, 10.1, 101, false},
	{AQ_CO, AQ_1H, 34.9, 150, false},   {AQ_CO, AQ_1H, 35, 150, false},	{AQ_CO, AQ_1H, 35.1, 151, false},
	{AQ_CO, AQ_1H, 59.9, 200, false},   {AQ_CO, AQ_1H, 60, 200, false},	{AQ_CO, AQ_1H, 60.1, 201, false},
	{AQ_CO, AQ_1H, 89.9, 300, false},   {AQ_CO, AQ_1H, 90, 300, false},	{AQ_CO, AQ_1H, 90.1, 301, false},
	{AQ_CO, AQ_1H, 119.9, 400, false},  {AQ_CO, AQ_1H, 120, 400, false},	{AQ_CO, AQ_1H, 120.1, 401, false},
	{AQ_CO, AQ_1H, 149.9, 500, false},  {AQ_CO, AQ_1H, 150, 500, false},	{AQ_CO, AQ_1H, 150.1, 500, true},
	{AQ_O3, AQ_1H, -1, -1, false},	    {AQ_O3, AQ_1H, 0, 0, false},	{AQ_O3, AQ_1H, 1, 1, false},
	{AQ_O3, AQ_1H, 159, 50, false},	    {AQ_O3, AQ_1H, 160, 50, false},	{AQ_O3, AQ_1H, 161, 52, false},
	{AQ_O3, AQ_1H, 199, 99, false},	    {AQ_O3, AQ_1H, 200, 100, false},	{AQ_O3, AQ_1H, 201, 101, false},
	{AQ_O3, AQ_1H, 299, 150, false},    {AQ_O3, AQ_1H, 300, 150, false},	{AQ_O3, AQ_1H, 301, 151, false},
	{AQ_O3, AQ_1H, 399, 200, false},    {AQ_O3, AQ_1H, 400, 200, false},	{AQ_O3, AQ_1H, 401, 201, false},
	{AQ_O3, AQ_1H, 799, 300, false},    {AQ_O3, AQ_1H, 800, 300, false},	{AQ_O3, AQ_1H, 801, 301, false},
	{AQ_O3, AQ_1H, 999, 400, false},    {AQ_O3, AQ_1H, 1000, 400, false},	{AQ_O3, AQ_1H, 1001, 401, false},
	{AQ_O3, AQ_1H, 1199, 500, false},   {AQ_O3, AQ_1H, 1200, 500, false},	{AQ_O3, AQ_1H, 1201, 500, true},
	{AQ_O3, AQ_8H, -1, -1, false},	    {AQ_O3, AQ_8H, 0, 0, false},	{AQ_O3, AQ_8H, 1, 1, false},
	{AQ_O3, AQ_8H, 99, 50, false},	    {AQ_O3, AQ_8H, 100, 50, false},	{AQ_O3, AQ_8H, 101, 51, false},
	{AQ_O3, AQ_8H, 159, 100, false},    {AQ_O3, AQ_8H, 160, 100, false},	{AQ_O3, AQ_8H, 161, 101, false},
	{AQ_O3, AQ_8H, 214, 150, false},    {AQ_O3, AQ_8H, 215, 150, false},	{AQ_O3, AQ_8H, 216, 151, false},
	{AQ_O3, AQ_8H, 264, 199, false},    {AQ_O3, AQ_8H, 265, 200, false},	{AQ_O3, AQ_8H, 266, 201, false},
	{AQ_O3, AQ_8H, 799, 300, false},    {AQ_O3, AQ_8H, 800, 300, false},	{AQ_O3, AQ_8H, 801, 300, false},
	{AQ_PM25, AQ_24H, -1, -1, false},   {AQ_PM25, AQ_24H, 0, 0, false},	{AQ_PM25, AQ_24H, 1, 2, false},
	{AQ_PM25, AQ_24H, 34, 49, false},   {AQ_PM25, AQ_24H, 35, 50, false},	{AQ_PM25, AQ_24H, 36, 52, false},
	{AQ_PM25, AQ_24H, 59, 98, false},   {AQ_PM25, AQ_24H, 60, 100, false},	{AQ_PM25, AQ_24H, 61, 101, false},
	{AQ_PM25, AQ_24H, 114, 150, false}, {AQ_PM25, AQ_24H, 115, 150, false}, {AQ_PM25, AQ_24H, 116, 152, false},
	{AQ_PM25, AQ_24H, 149, 199, false}, {AQ_PM25, AQ_24H, 150, 200, false}, {AQ_PM25, AQ_24H, 151, 201, false},
	{AQ_PM25, AQ_24H, 249, 299, false}, {AQ_PM25, AQ_24H, 250, 300, false}, {AQ_PM25, AQ_24H, 251, 301, false},
	{AQ_PM25, AQ_24H, 349, 399, false}, {AQ_PM25, AQ_24H, 350, 400, false}, {AQ_PM25, AQ_24H, 351, 401, false},
	{AQ_PM25, AQ_24H, 499, 500, false}, {AQ_PM25, AQ_24H, 500, 500, false}, {AQ_PM25, AQ_24H, 501, 500, true},
};

START_TEST(test_iaqi_breakpoints_2026)
{
	const struct iaqi_case *c = &breakpoints2026[_i];
	bool above = false;
	int v = aq_iaqi(std2026(), c->p, c->period, c->conc, &above);
	ck_assert_msg(v == c->iaqi && above == c->above,
		      "2026 %s period %d conc %.1f: IAQI %d above %d, want %d above %d", aq_pollutant_field(c->p),
		      (int)c->period, c->conc, v, above, c->iaqi, c->above);
}
END_TEST

/* Which standards are in force when: by the local date, or pinned; and named from a
 * snapshot's rule_version. */
START_TEST(test_standards_by_date)
{
	const struct aq_aqi_standard *a = aq_aqi_standard_for_date(2026, 2, 28);
	const struct aq_aqi_standard *b = aq_aqi_standard_for_date(2026, 3, 1);
	const struct aq_aqi_standard *c = aq_aqi_standard_for_date(2030, 12, 31);
	const struct aq_aqi_standard *d = aq_aqi_standard_for_date(2031, 1, 1);
	ck_assert_str_eq(a->name, "HJ633-2012");
	ck_assert_str_eq(a->limits_name, "GB3095-2012");
	ck_assert_str_eq(b->name, "HJ633-2026");
	ck_assert_str_eq(b->limits_name, "GB3095-2026 transition");
	ck_assert_ptr_eq(c, b);
	ck_assert_str_eq(d->name, "HJ633-2026");
	ck_assert_str_eq(d->limits_name, "GB3095-2026");
	ck_assert_ptr_eq(aq_aqi_standard_for_date(1999, 1, 1), a);
	/* GB 3095 grade-II limits: 24 h and annual (the composite's Sᵢ) per period. */
	ck_assert_double_eq(a->limit_24h[AQ_PM25], 75);
	ck_assert_double_eq(a->limit_24h[AQ_PM10], 150);
	ck_assert_double_eq(a->limit_annual[AQ_PM25], 35);
	ck_assert_double_eq(a->limit_annual[AQ_PM10], 70);
	ck_assert_double_eq(b->limit_24h[AQ_PM25], 60);
	ck_assert_double_eq(b->limit_24h[AQ_PM10], 120);
	ck_assert_double_eq(b->limit_annual[AQ_PM25], 30);
	ck_assert_double_eq(b->limit_annual[AQ_PM10], 60);
	ck_assert_double_eq(d->limit_24h[AQ_PM25], 50);
	ck_assert_double_eq(d->limit_annual[AQ_PM10], 50);
	for (const struct aq_aqi_standard *s = a; s; s = s == a ? b : s == b ? d : NULL) {
		ck_assert_double_eq(s->limit_annual[AQ_SO2], 60);
		ck_assert_double_eq(s->limit_annual[AQ_NO2], 40);
		ck_assert_double_eq(s->limit_annual[AQ_CO], 4);
		ck_assert_double_eq(s->limit_annual[AQ_O3], 160);
		ck_assert_double_eq(s->limit_24h[AQ_O3], 160);
	}
	ck_assert(a->reports_exceeding && !b->reports_exceeding);
	ck_assert(!a->missing_publishes_over_100 && b->missing_publishes_over_100);
	/* Pinned: the AQI standard whatever the date, with the limits that go with it then. */
	ck_assert_ptr_eq(aq_standard_in_force(AQ_STANDARD_HJ633_2012, 2026, 6, 1), a);
	ck_assert_ptr_eq(aq_standard_in_force(AQ_STANDARD_HJ633_2026, 2015, 6, 1), b);
	ck_assert_ptr_eq(aq_standard_in_force(AQ_STANDARD_HJ633_2026, 2032, 6, 1), d);
	ck_assert_ptr_eq(aq_standard_in_force(AQ_STANDARD_AUTO, 2026, 2, 28), a);
	/* From a rule_version. */
	ck_assert_ptr_eq(aq_standard_named("HJ633-2026/min20h", 10, 2026, 5, 1), b);
	ck_assert_ptr_eq(aq_standard_named("HJ633-2012/min20h", 10, 2026, 5, 1), a);
	ck_assert_ptr_null(aq_standard_named("HJ633-2019", 10, 2026, 5, 1));
	enum aq_standard_pin pin = AQ_STANDARD_AUTO;
	ck_assert(aq_standard_pin_from_name("HJ633-2026", &pin) && pin == AQ_STANDARD_HJ633_2026);
	ck_assert(!aq_standard_pin_from_name("hj633-2026", &pin));
}
END_TEST

/* A day at PM2.5 70 µg/m³: 良 (IAQI 94) under 2012, 轻度污染 (IAQI 110) under 2026; a day at
 * PM2.5 60 and PM10 120 under 2026: AQI 100, both primary. The 2012 report lists the
 * pollutants over IAQI 100, the 2026 one does not. */
START_TEST(test_daily_aqi_both_standards)
{
	bool valid[AQ_POLLUTANTS] = {[AQ_PM25] = true, [AQ_PM10] = true};
	double pub[AQ_POLLUTANTS] = {[AQ_PM25] = 70, [AQ_PM10] = 40};
	struct aq_aqi a;
	aq_aqi_daily(std2012(), valid, pub, false, 0, &a);
	ck_assert_int_eq(a.aqi, 94);
	ck_assert_str_eq(a.category, "良");
	ck_assert_uint_eq(a.exceeding_mask, 0);
	ck_assert(a.reports_exceeding);
	aq_aqi_daily(std2026(), valid, pub, false, 0, &a);
	ck_assert_int_eq(a.aqi, 110);
	ck_assert_str_eq(a.category, "轻度污染");
	ck_assert(!a.reports_exceeding);
	ck_assert_uint_eq(a.exceeding_mask, 0);
	pub[AQ_PM25] = 60;
	pub[AQ_PM10] = 120;
	aq_aqi_daily(std2026(), valid, pub, false, 0, &a);
	ck_assert_int_eq(a.aqi, 100);
	ck_assert_uint_eq(a.primary_mask, AQ_POLLUTANT_BIT(AQ_PM25) | AQ_POLLUTANT_BIT(AQ_PM10));
	pub[AQ_PM25] = 80;  /* 2012: 107, over 100 */
	pub[AQ_PM10] = 180; /* 2012: 115 */
	aq_aqi_daily(std2012(), valid, pub, false, 0, &a);
	ck_assert_uint_eq(a.exceeding_mask, AQ_POLLUTANT_BIT(AQ_PM25) | AQ_POLLUTANT_BIT(AQ_PM10));
	ck_assert_uint_eq(a.primary_mask, AQ_POLLUTANT_BIT(AQ_PM10));
}
END_TEST

/* The inverse of the IAQI (the alert floors): the concentration at which a column reaches an
 * IAQI. */
START_TEST(test_iaqi_concentration)
{
	ck_assert_double_eq(aq_iaqi_concentration(std2012(), AQ_PM25, AQ_24H, 50), 35);
	ck_assert_double_eq(aq_iaqi_concentration(std2012(), AQ_PM10, AQ_24H, 50), 50);
	ck_assert_double_eq(aq_iaqi_concentration(std2012(), AQ_PM25, AQ_24H, 100), 75);
	ck_assert_double_eq(aq_iaqi_concentration(std2026(), AQ_PM25, AQ_24H, 100), 60);
	ck_assert_double_eq(aq_iaqi_concentration(std2026(), AQ_PM10, AQ_24H, 75), 85); /* 50 + 70/2 */
	ck_assert_double_eq(aq_iaqi_concentration(std2026(), AQ_PM25, AQ_24H, 0), 0);
	ck_assert_double_eq(aq_iaqi_concentration(std2026(), AQ_PM25, AQ_24H, 600), 500);
	ck_assert_double_eq(aq_iaqi_concentration(std2026(), AQ_PM25, AQ_1H, 50), -1);
}
END_TEST

/* Every column of the table has its published breakpoints, and "—" cells are absent. */
START_TEST(test_standard_shape)
{
	const struct aq_aqi_standard *s = std2012();
	ck_assert_str_eq(s->name, "HJ633-2012");
	ck_assert_ptr_eq(aq_aqi_standard_for_date(2013, 1, 1), s);
	ck_assert_ptr_eq(aq_aqi_standard_for_date(2026, 2, 28), s);
	ck_assert_ptr_ne(aq_aqi_standard_for_date(2026, 3, 1), s);
	ck_assert_int_eq(s->table[AQ_SO2][AQ_1H].n, 5);
	ck_assert_int_eq(s->table[AQ_O3][AQ_8H].n, 6);
	ck_assert_int_eq(s->table[AQ_PM25][AQ_1H].n, 0);
	ck_assert_int_eq(s->table[AQ_PM10][AQ_1H].n, 0);
	ck_assert_int_eq(s->table[AQ_SO2][AQ_24H].n, 8);
	ck_assert(s->table[AQ_CO][AQ_24H].conc[1] == 2.0);
	ck_assert_int_eq(s->table[AQ_O3][AQ_8H].iaqi[5], 300);
}
END_TEST

/* --- levels --- */

struct level_case {
	int aqi;
	int level;
	const char *category;
	const char *category_en;
	const char *color;
};

static const struct level_case levels[] = {
	{0, 1, "优", "Excellent", "#00E400"},
	{50, 1, "优", "Excellent", "#00E400"},
	{51, 2, "良", "Good", "#FFFF00"},
	{100, 2, "良", "Good", "#FFFF00"},
	{101, 3, "轻度污染", "Lightly polluted", "#FF7E00"},
	{150, 3, "轻度污染", "Lightly polluted", "#FF7E00"},
	{151, 4, "中度污染", "Moderately polluted", "#FF0000"},
	{200, 4, "中度污染", "Moderately polluted", "#FF0000"},
	{201, 5, "重度污染", "Heavily polluted", "#99004C"},
	{300, 5, "重度污染", "Heavily polluted", "#99004C"},
	{301, 6, "严重污染", "Severely polluted", "#7E0023"},
	{500, 6, "严重污染", "Severely polluted", "#7E0023"},
};

START_TEST(test_levels)
{
	const struct level_case *c = &levels[_i];
	int level = aq_aqi_level(c->aqi);
	ck_assert_msg(level == c->level, "AQI %d: level %d, want %d", c->aqi, level, c->level);
	ck_assert_str_eq(aq_level_category(level), c->category);
	ck_assert_str_eq(aq_level_category_en(level), c->category_en);
	ck_assert_str_eq(aq_level_color(level), c->color);

	/* outside 1..6 there is no level */
	ck_assert_int_eq(aq_aqi_level(-1), 0);
	ck_assert_ptr_null(aq_level_category(0));
	ck_assert_ptr_null(aq_level_color(7));
}
END_TEST

/* --- daily and hourly AQI --- */

struct aqi_case {
	const char *name;
	bool valid[AQ_POLLUTANTS];
	double published[AQ_POLLUTANTS]; /* PM25 PM10 SO2 NO2 CO O3 */
	bool o3_1h_valid;
	double o3_1h;
	bool want_valid;
	int aqi;
	int level;
	const char *category;
	unsigned primary;
	bool above;
	int iaqi[AQ_POLLUTANTS];
};

#define B(p) AQ_POLLUTANT_BIT(p)

static const struct aqi_case daily_cases[] = {
	{"PM2.5 80 + PM10 180",
	 {true, true},
	 {80, 180},
	 false,
	 0,
	 true,
	 115,
	 3,
	 "轻度污染",
	 B(AQ_PM10),
	 false,
	 {107, 115, -1, -1, -1, -1}},
	{"AQI <= 50 has no primary",
	 {true, true, true, true, true, true},
	 {35, 50, 50, 40, 2.0, 100},
	 false,
	 0,
	 true,
	 50,
	 1,
	 "优",
	 0,
	 false,
	 {50, 50, 50, 50, 50, 50}},
	{"tie: PM2.5 and PM10 both 100",
	 {true, true},
	 {75, 150},
	 false,
	 0,
	 true,
	 100,
	 2,
	 "良",
	 B(AQ_PM25) | B(AQ_PM10),
	 false,
	 {100, 100, -1, -1, -1, -1}},
	{"three-way tie at 119",
	 {true, true, false, false, false, true},
	 {90, 188, 0, 0, 0, 180},
	 false,
	 0,
	 true,
	 119,
	 3,
	 "轻度污染",
	 B(AQ_PM25) | B(AQ_PM10) | B(AQ_O3),
	 false,
	 {119, 119, -1, -1, -1, 119}},
	{"51 has a primary", {true}, {36}, false, 0, true, 52, 2, "良", B(AQ_PM25), false, {52, -1, -1, -1, -1, -1}},
	{"O3 8h 801 uses the 1 h maximum 900",
	 {false, false, false, false, false, true},
	 {0, 0, 0, 0, 0, 801},
	 true,
	 900,
	 true,
	 350,
	 6,
	 "严重污染",
	 B(AQ_O3),
	 false,
	 {-1, -1, -1, -1, -1, 350}},
	{"O3 8h 801 without a 1 h maximum: 801 on the 1 h table",
	 {false, false, false, false, false, true},
	 {0, 0, 0, 0, 0, 801},
	 false,
	 0,
	 true,
	 301,
	 6,
	 "严重污染",
	 B(AQ_O3),
	 false,
	 {-1, -1, -1, -1, -1, 301}},
	{"O3 8h 800 stays on the 8 h table",
	 {false, false, false, false, false, true},
	 {0, 0, 0, 0, 0, 800},
	 true,
	 1300,
	 true,
	 300,
	 5,
	 "重度污染",
	 B(AQ_O3),
	 false,
	 {-1, -1, -1, -1, -1, 300}},
	{"O3 8h 801, 1 h 1300 above scale",
	 {false, false, false, false, false, true},
	 {0, 0, 0, 0, 0, 801},
	 true,
	 1300,
	 true,
	 500,
	 6,
	 "严重污染",
	 B(AQ_O3),
	 true,
	 {-1, -1, -1, -1, -1, 500}},
	{"PM2.5 600 above scale",
	 {true, true},
	 {600, 100},
	 false,
	 0,
	 true,
	 500,
	 6,
	 "严重污染",
	 B(AQ_PM25),
	 true,
	 {500, 75, -1, -1, -1, -1}},
	{"SO2 daily uses 24 h table",
	 {false, false, true},
	 {0, 0, 200},
	 false,
	 0,
	 true,
	 108,
	 3,
	 "轻度污染",
	 B(AQ_SO2),
	 false,
	 {-1, -1, 108, -1, -1, -1}},
	{"CO daily 3.5",
	 {false, false, false, false, true},
	 {0, 0, 0, 0, 3.5},
	 false,
	 0,
	 true,
	 88,
	 2,
	 "良",
	 B(AQ_CO),
	 false,
	 {-1, -1, -1, -1, 88, -1}},
	{"nothing valid", {false}, {80, 180}, true, 100, false, 0, 0, NULL, 0, false, {-1, -1, -1, -1, -1, -1}},
};

static void check_aqi_result(const struct aqi_case *c, const struct aq_aqi *a)
{
	ck_assert_msg(a->valid == c->want_valid, "%s: valid %d", c->name, a->valid);
	for (int p = 0; p < AQ_POLLUTANTS; p++)
		ck_assert_msg(a->iaqi[p] == c->iaqi[p], "%s: IAQI[%s] %d, want %d", c->name,
			      aq_pollutant_field((enum aq_pollutant)p), a->iaqi[p], c->iaqi[p]);
	if (!c->want_valid) {
		ck_assert_ptr_null(a->category);
		ck_assert_ptr_null(a->color);
		return;
	}
	ck_assert_msg(a->aqi == c->aqi, "%s: AQI %d, want %d", c->name, a->aqi, c->aqi);
	ck_assert_int_eq(a->level, c->level);
	ck_assert_str_eq(a->category, c->category);
	ck_assert_str_eq(a->color, aq_level_color(c->level));
	ck_assert_str_eq(a->category_en, aq_level_category_en(c->level));
	ck_assert_msg(a->primary_mask == c->primary, "%s: primary 0x%x, want 0x%x", c->name, a->primary_mask,
		      c->primary);
	ck_assert_msg(a->above_scale == c->above, "%s: above_scale %d", c->name, a->above_scale);
}

START_TEST(test_aqi_daily)
{
	const struct aqi_case *c = &daily_cases[_i];
	struct aq_aqi a;
	memset(&a, 0x5a, sizeof(a)); /* every field must be written */
	aq_aqi_daily(std2012(), c->valid, c->published, c->o3_1h_valid, c->o3_1h, &a);
	check_aqi_result(c, &a);
}
END_TEST

static const struct aqi_case hourly_cases[] = {
	{"PM uses the 24 h tables",
	 {true, true},
	 {80, 180},
	 false,
	 0,
	 true,
	 115,
	 3,
	 "轻度污染",
	 B(AQ_PM10),
	 false,
	 {107, 115, -1, -1, -1, -1}},
	{"SO2 1h 500 on the 1 h table",
	 {false, false, true},
	 {0, 0, 500},
	 false,
	 0,
	 true,
	 100,
	 2,
	 "良",
	 B(AQ_SO2),
	 false,
	 {-1, -1, 100, -1, -1, -1}},
	{"SO2 1h 801 on the 24 h table",
	 {false, false, true},
	 {0, 0, 801},
	 false,
	 0,
	 true,
	 201,
	 5,
	 "重度污染",
	 B(AQ_SO2),
	 false,
	 {-1, -1, 201, -1, -1, -1}},
	{"NO2 1h 150, CO 1h 12, O3 1h 250",
	 {false, false, false, true, true, true},
	 {0, 0, 0, 150, 12, 250},
	 false,
	 0,
	 true,
	 125,
	 3,
	 "轻度污染",
	 B(AQ_O3),
	 false,
	 {-1, -1, -1, 75, 104, 125}},
	{"O3 1h 1201 above scale",
	 {false, false, false, false, false, true},
	 {0, 0, 0, 0, 0, 1201},
	 false,
	 0,
	 true,
	 500,
	 6,
	 "严重污染",
	 B(AQ_O3),
	 true,
	 {-1, -1, -1, -1, -1, 500}},
	{"nothing valid", {false}, {0}, false, 0, false, 0, 0, NULL, 0, false, {-1, -1, -1, -1, -1, -1}},
};

START_TEST(test_aqi_hourly)
{
	const struct aqi_case *c = &hourly_cases[_i];
	struct aq_aqi a;
	memset(&a, 0x5a, sizeof(a));
	aq_aqi_hourly(std2012(), c->valid, c->published, &a);
	check_aqi_result(c, &a);
}
END_TEST

/* --- GB/T 8170 rounding --- */

struct round_case {
	double x;
	int decimals;
	double want;
};

static const struct round_case rounds[] = {
	{0.5, 0, 0},
	{1.5, 0, 2},
	{2.5, 0, 2},
	{3.5, 0, 4},
	{100.5, 0, 100},
	{101.5, 0, 102},
	{1.25, 1, 1.2},
	{1.35, 1, 1.4},
	{0.125, 2, 0.12},
	{0.135, 2, 0.14},
	{2.675, 2, 2.68},
	{1.15, 1, 1.2},
	{0.49, 0, 0},
	{0.51, 0, 1},
	{2.4999, 0, 2},
	{2.5001, 0, 3},
	{94.4999999, 0, 94},
	{1.24, 1, 1.2},
	{1.26, 1, 1.3},
	{12.34, 1, 12.3},
	{-0.5, 0, 0},
	{-1.5, 0, -2},
	{-2.5, 0, -2},
	{-1.25, 1, -1.2},
	{-0.4, 0, 0},
	{0, 0, 0},
	{7, 0, 7},
	{5000.5, 0, 5000},
	{1234567.5, 0, 1234568},
	{2.345, 2, 2.34},
	{0.0, 2, 0.0},
};

START_TEST(test_round_half_even)
{
	const struct round_case *c = &rounds[_i];
	double r = aq_round_half_even(c->x, c->decimals);
	ck_assert_msg(r == c->want, "round(%.17g, %d) = %.17g, want %.17g", c->x, c->decimals, r, c->want);
	ck_assert_msg(!signbit(r) || c->want < 0, "round(%g) gave -0", c->x);
}
END_TEST

/* Means of one-decimal data that are exactly k + 0.5 in decimal but not in binary. */
struct sum_case {
	double v[5];
	int n;
	double want;
};

static const struct sum_case sums[] = {
	/* 98.5 computes as 98.50000000000001: plain rounding gives 99, half-even 98 */
	{{111.6, 64.2, 90.9, 127.3}, 4, 98},
	/* 113.5 computes as 113.49999999999999: plain rounding gives 113, half-even 114 */
	{{89.8, 89.1, 144.4, 130.7}, 4, 114},
	/* 90.5 computes as 90.49999999999999 */
	{{101.1, 116.8, 93.9, 50.2}, 4, 90},
	/* 83.5 computes as 83.50000000000001 */
	{{121.7, 70.1, 108.3, 62.1, 55.3}, 5, 84},
};

START_TEST(test_round_decimal_sums)
{
	const struct sum_case *c = &sums[_i];
	double s = 0.0;
	for (int i = 0; i < c->n; i++)
		s += c->v[i];
	double mean = s / c->n;
	/* the premise: binary arithmetic missed the exact half */
	ck_assert_msg(mean != c->want + 0.5 && mean != c->want - 0.5, "mean %.17g is exact", mean);
	ck_assert_msg(aq_round_half_even(mean, 0) == c->want, "mean %.17g → %g, want %g", mean,
		      aq_round_half_even(mean, 0), c->want);
}
END_TEST

/* --- names --- */

START_TEST(test_pollutant_names)
{
	static const char *const fields[] = {"pm25", "pm10", "so2", "no2", "co", "o3"};
	static const char *const labels[] = {"PM2.5", "PM10", "SO2", "NO2", "CO", "O3"};
	enum aq_pollutant p = (enum aq_pollutant)_i, back = AQ_POLLUTANTS;
	ck_assert_str_eq(aq_pollutant_field(p), fields[_i]);
	ck_assert_str_eq(aq_pollutant_label(p), labels[_i]);
	ck_assert(aq_pollutant_from_field(fields[_i], &back));
	ck_assert_int_eq(back, p);
	ck_assert_int_eq(aq_pollutant_decimals(p), p == AQ_CO ? 1 : 0);
}
END_TEST

START_TEST(test_pollutant_unknown)
{
	enum aq_pollutant p = AQ_O3;
	ck_assert(!aq_pollutant_from_field("pm2.5", &p));
	ck_assert(!aq_pollutant_from_field("PM25", &p));
	ck_assert(!aq_pollutant_from_field("", &p));
	ck_assert(!aq_pollutant_from_field(NULL, &p));
	ck_assert_int_eq(p, AQ_O3);
	ck_assert_ptr_null(aq_pollutant_field(AQ_POLLUTANTS));
	ck_assert_ptr_null(aq_pollutant_label((enum aq_pollutant) - 1));
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *aqi_suite(void)
{
	Suite *s = suite_create("aqi");
	TCase *tc;

	tc = tcase_create("iaqi");
	tcase_add_loop_test(tc, test_iaqi_known, 0, N(known));
	tcase_add_loop_test(tc, test_iaqi_breakpoints, 0, N(breakpoints));
	tcase_add_test(tc, test_standard_shape);
	tcase_add_loop_test(tc, test_iaqi_known_2026, 0, N(known2026));
	tcase_add_loop_test(tc, test_iaqi_breakpoints_2026, 0, N(breakpoints2026));
	tcase_add_test(tc, test_standards_by_date);
	tcase_add_test(tc, test_daily_aqi_both_standards);
	tcase_add_test(tc, test_iaqi_concentration);
	suite_add_tcase(s, tc);

	tc = tcase_create("aqi");
	tcase_add_loop_test(tc, test_levels, 0, N(levels));
	tcase_add_loop_test(tc, test_aqi_daily, 0, N(daily_cases));
	tcase_add_loop_test(tc, test_aqi_hourly, 0, N(hourly_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("rounding");
	tcase_add_loop_test(tc, test_round_half_even, 0, N(rounds));
	tcase_add_loop_test(tc, test_round_decimal_sums, 0, N(sums));
	suite_add_tcase(s, tc);

	tc = tcase_create("names");
	tcase_add_loop_test(tc, test_pollutant_names, 0, AQ_POLLUTANTS);
	tcase_add_test(tc, test_pollutant_unknown);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(aqi_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
