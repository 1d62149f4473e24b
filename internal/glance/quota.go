package glance

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// The quota resources of Glance's unified limits, as /v2/info/usage names them.
const (
	QuotaImageSizeTotal      = "image_size_total"
	QuotaImageCountTotal     = "image_count_total"
	QuotaImageStageTotal     = "image_stage_total"
	QuotaImageCountUploading = "image_count_uploading"
)

// quotaResources lists them in the order explanations name them.
var quotaResources = []string{QuotaImageSizeTotal, QuotaImageCountTotal, QuotaImageStageTotal, QuotaImageCountUploading}

// mib is the unit of the size quotas.
const mib = 1 << 20

// RemainingBytes is how many bytes the size quota name (image_size_total, image_stage_total)
// still allows; ok is false when the cloud does not report that quota or it is unlimited
// (a negative limit).
func (u Usage) RemainingBytes(name string) (remaining int64, ok bool) {
	q, found := u[name]
	if !found || q.Limit < 0 {
		return 0, false
	}
	return max(q.Limit-q.Usage, 0) * mib, true
}

// OverQuotaDetail explains a request Glance refused because the project is over a quota
// (IsOverQuota): it reads the caller's usage and says which quota the request ran into, its
// limit and the usage. It returns "" for any other error.
func (c *Client) OverQuotaDetail(ctx context.Context, err error) string {
	if !IsOverQuota(err) {
		return ""
	}
	usage, uerr := c.Usage(ctx)
	if uerr != nil {
		return fmt.Sprintf("The project is over an image quota; the quota usage could not be read to say which (%s).", uerr)
	}
	return overQuotaDetail(err, usage)
}

// overQuotaDetail names the quotas of an over-quota refusal: those Glance's message names
// (with unified limits it says "Resource image_size_total is over limit of ..."), else those
// whose usage reached the limit, else every quota the cloud reports.
func overQuotaDetail(err error, usage Usage) string {
	if len(usage) == 0 {
		return "The project is over an image quota, but the cloud reports no quota usage (GET /v2/info/usage) to say which; ask the cloud's operators."
	}
	var msg string
	var e *Error
	if errors.As(err, &e) {
		msg = e.Message
	}
	named := quotasWhere(usage, func(name string, _ Quota) bool { return strings.Contains(msg, name) })
	full := quotasWhere(usage, func(_ string, q Quota) bool { return q.Limit >= 0 && q.Usage >= q.Limit })
	switch {
	case len(named) > 0:
		return "The project is over its " + describeQuotas(named, usage) + ". Delete images the project no longer needs, or ask for a higher limit."
	case len(full) > 0:
		return "The project has reached its " + describeQuotas(full, usage) + ". Delete images the project no longer needs, or ask for a higher limit."
	}
	all := quotasWhere(usage, func(string, Quota) bool { return true })
	return "Glance's answer does not say which quota the request ran into, and none is at its limit now (other uploads may have " +
		"finished since). The project's image quotas: " + describeQuotas(all, usage) + "."
}

// quotasWhere lists the reported quotas that satisfy keep, known ones first in a fixed order.
func quotasWhere(usage Usage, keep func(string, Quota) bool) []string {
	var names []string
	for name, q := range usage {
		if keep(name, q) {
			names = append(names, name)
		}
	}
	slices.SortFunc(names, func(a, b string) int {
		ia, ib := slices.Index(quotaResources, a), slices.Index(quotaResources, b)
		if ia < 0 {
			ia = len(quotaResources)
		}
		if ib < 0 {
			ib = len(quotaResources)
		}
		if ia != ib {
			return ia - ib
		}
		return strings.Compare(a, b)
	})
	return names
}

// describeQuotas words quotas as "image_size_total quota (limit 1000 MiB, usage 998 MiB)".
func describeQuotas(names []string, usage Usage) string {
	parts := make([]string, 0, len(names))
	for _, name := range names {
		q := usage[name]
		unit := " images"
		if name == QuotaImageSizeTotal || name == QuotaImageStageTotal {
			unit = " MiB"
		}
		limit := fmt.Sprint(q.Limit) + unit
		if q.Limit < 0 {
			limit = "unlimited"
		}
		parts = append(parts, fmt.Sprintf("%s quota (limit %s, usage %d%s)", name, limit, q.Usage, unit))
	}
	return strings.Join(parts, ", ")
}
