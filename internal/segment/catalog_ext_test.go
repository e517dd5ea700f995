package segment_test

import (
	"slices"
	"testing"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/i18n"
	"github.com/ecrm/ecrm/internal/segment"
)

// TestLabelsTranslated: every label, operator, parameter, option and
// error key of the catalog is in all three languages.
func TestLabelsTranslated(t *testing.T) {
	keys := segment.Labels()
	for _, k := range []string{segment.ErrJSON, segment.ErrUnknownKey, segment.ErrGroupOp, segment.ErrUnknownField, segment.ErrOperator,
		segment.ErrValue, segment.ErrValueMissing, segment.ErrParam, segment.ErrParamMissing, segment.ErrTooDeep, segment.ErrTooMany,
		segment.ErrCycle, segment.ErrUnknownSegment, segment.ErrTooLarge} {
		keys = append(keys, "error."+k)
	}
	for _, lang := range []string{"en", "fa", "ja"} {
		l := i18n.Get(lang)
		for _, k := range keys {
			if !l.Has(k) {
				t.Errorf("%s: no %s", lang, k)
			}
		}
	}
}

// TestChoicesMatchCRM keeps the catalog's copies of crm's choices equal.
func TestChoicesMatchCRM(t *testing.T) {
	if !slices.Equal(segment.Stages, crm.Stages) {
		t.Errorf("stages %v, crm %v", segment.Stages, crm.Stages)
	}
	if !slices.Equal(segment.ConsentPurposes, crm.ConsentPurposes) || !slices.Equal(segment.ConsentChannels, crm.ConsentChannels) {
		t.Error("consent purposes or channels differ from crm")
	}
	for _, ft := range crm.FieldTypes {
		if len(segment.CustomFields([]segment.CustomField{{Key: "k", Type: ft}})) != 1 {
			t.Errorf("custom field type %s has no predicate", ft)
		}
	}
}
