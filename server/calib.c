/* calib.c — least-squares calibration against a co-located reference, its application to
 * hourly means and the drift of residuals (aq_calib.h; docs/domain-rules.md, "Calibration").
 *
 * The fit solves the normal equations on centred sums (two passes: means, then deviations):
 * with concentrations in the hundreds, raw sums of squares lose the digits that the slope
 * lives in, and centring is the textbook cure (NIST/SEMATECH e-Handbook §4.1.4.1). */
#include "aq_calib.h"

#include <math.h>
#include <string.h>

const char *aq_calib_model_name(enum aq_calib_model m)
{
	switch (m) {
	case AQ_CALIB_LINEAR: return "linear";
	case AQ_CALIB_LINEAR_RH: return "linear_rh";
	}
	return NULL;
}

bool aq_calib_model_from_name(const char *name, enum aq_calib_model *m)
{
	if (!name)
		return false;
	if (strcmp(name, "linear") == 0)
		*m = AQ_CALIB_LINEAR;
	else if (strcmp(name, "linear_rh") == 0)
		*m = AQ_CALIB_LINEAR_RH;
	else
		return false;
	return true;
}

/* A centred sum of squares that is nothing but rounding: the values are constant. The spread
 * is compared with the size of the values, so a column of 500s is constant at 1e-9 relative. */
static bool degenerate(double ss, size_t n, double mean)
{
	double scale = 1e-9 * (fabs(mean) > 1.0 ? fabs(mean) : 1.0);
	return !(ss > (double)n * scale * scale);
}

static void means(const double *v, size_t n, double *mean)
{
	double s = 0.0;
	for (size_t i = 0; i < n; i++)
		s += v[i];
	*mean = s / (double)n;
}

enum aq_fit_result aq_calib_fit(const double *raw, const double *ref, const double *rh, size_t n, int min_pairs,
				struct aq_calib_fit *out)
{
	int params = rh ? 3 : 2;
	int need = min_pairs > params + 1 ? min_pairs : params + 1;
	out->n = (int)n;
	if (n < (size_t)need)
		return AQ_FIT_TOO_FEW;
	double mx, my, mr = 0.0;
	means(raw, n, &mx);
	means(ref, n, &my);
	if (rh)
		means(rh, n, &mr);
	double sxx = 0, sxy = 0, syy = 0, sxr = 0, srr = 0, sry = 0;
	for (size_t i = 0; i < n; i++) {
		double dx = raw[i] - mx, dy = ref[i] - my, dr = rh ? rh[i] - mr : 0.0;
		sxx += dx * dx;
		sxy += dx * dy;
		syy += dy * dy;
		sxr += dx * dr;
		srr += dr * dr;
		sry += dr * dy;
	}
	if (degenerate(sxx, n, mx) || degenerate(syy, n, my) || (rh && degenerate(srr, n, mr)))
		return AQ_FIT_SINGULAR;
	double b, c = 0.0;
	if (rh) {
		double det = sxx * srr - sxr * sxr;
		/* det / (sxx·srr) = 1 − corr(raw, RH)²: RH a linear function of raw leaves nothing to
		 * tell the two slopes apart. */
		if (!(det > 1e-10 * sxx * srr))
			return AQ_FIT_SINGULAR;
		b = (sxy * srr - sry * sxr) / det;
		c = (sry * sxx - sxy * sxr) / det;
	} else {
		b = sxy / sxx;
	}
	double a = my - b * mx - c * mr;
	double ss_res = 0.0;
	for (size_t i = 0; i < n; i++) {
		double e = ref[i] - (a + b * raw[i] + c * (rh ? rh[i] : 0.0));
		ss_res += e * e;
	}
	memset(out, 0, sizeof *out);
	out->model = rh ? AQ_CALIB_LINEAR_RH : AQ_CALIB_LINEAR;
	out->n = (int)n;
	out->a = a;
	out->b = b;
	out->c = c;
	out->r2 = 1.0 - ss_res / syy;
	out->rmse = sqrt(ss_res / (double)n);
	return AQ_FIT_OK;
}

double aq_calib_apply(const struct aq_calib_use *u, double raw, bool has_rh, double rh)
{
	if (!u || u->id == 0)
		return raw;
	const struct aq_calib_fit *f = u->has_rh && has_rh ? &u->rh : &u->linear;
	double v = f->a + f->b * raw + (f->model == AQ_CALIB_LINEAR_RH ? f->c * rh : 0.0);
	return v > 0.0 ? v : 0.0;
}

bool aq_calib_drift(const double *t_days, const double *residual, size_t n, int min_pairs, double span_days,
		    double *change, double *mean_residual)
{
	if (n == 0 || n < (size_t)(min_pairs > 2 ? min_pairs : 2))
		return false;
	double mt, my;
	means(t_days, n, &mt);
	means(residual, n, &my);
	double stt = 0.0, sty = 0.0;
	for (size_t i = 0; i < n; i++) {
		stt += (t_days[i] - mt) * (t_days[i] - mt);
		sty += (t_days[i] - mt) * (residual[i] - my);
	}
	if (degenerate(stt, n, mt))
		return false;
	*change = sty / stt * span_days;
	*mean_residual = my;
	return true;
}
