package api

import "github.com/ecrm/ecrm/internal/crm"

// The analytics permission of the value, cohort, economics and
// recommendation routes (scores.go, costs.go, recommendations.go):
// write recomputes.
var analyticsR, analyticsW = crm.P(crm.ResAnalytics, crm.Read), crm.P(crm.ResAnalytics, crm.Write)
