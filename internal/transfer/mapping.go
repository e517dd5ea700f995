package transfer

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/csvx"
)

// Entities an import or export handles.
const (
	EntityContact = "contact"
	EntityCompany = "company"
)

// ContactFields and CompanyFields are the targets a CSV column may be
// mapped to, besides "custom.<key>" for custom fields. "company" on a
// contact is a company name, found or created.
var (
	ContactFields = []string{"first_name", "last_name", "email", "phone", "emails", "phones", "company", "company_id",
		"title", "street", "city", "region", "postal_code", "country", "birth_date", "language", "stage", "source", "tags", "owner_id"}
	CompanyFields = []string{"name", "domain", "industry", "size", "phone", "street", "city", "region", "country", "tags", "owner_id"}
)

// headerAliases maps normalised header names people use (English,
// Persian, Japanese; Excel exports of other CRMs) to fields. Field names
// themselves always match.
var headerAliases = map[string]string{
	"first name": "first_name", "firstname": "first_name", "given name": "first_name", "forename": "first_name",
	"نام": "first_name", "名": "first_name", "名前": "first_name",
	"last name": "last_name", "lastname": "last_name", "surname": "last_name", "family name": "last_name",
	"نام خانوادگی": "last_name", "姓": "last_name", "苗字": "last_name",
	"email": "email", "e mail": "email", "email address": "email", "mail": "email",
	"ایمیل": "email", "پست الکترونیک": "email", "メールアドレス": "email", "メール": "email", "電子メール": "email",
	"phone": "phone", "telephone": "phone", "tel": "phone", "mobile": "phone", "phone number": "phone",
	"تلفن": "phone", "شماره تلفن": "phone", "موبایل": "phone", "電話番号": "phone", "電話": "phone", "携帯電話": "phone",
	"other emails": "emails", "other phones": "phones",
	"company": "company", "organization": "company", "organisation": "company", "company name": "company",
	"شرکت": "company", "会社": "company", "会社名": "company",
	"job title": "title", "position": "title", "عنوان": "title", "سمت": "title", "役職": "title",
	"address": "street", "آدرس": "street", "نشانی": "street", "住所": "street",
	"شهر": "city", "市区町村": "city", "都市": "city",
	"state": "region", "province": "region", "استان": "region", "都道府県": "region",
	"postal code": "postal_code", "zip": "postal_code", "zip code": "postal_code", "postcode": "postal_code",
	"کد پستی": "postal_code", "郵便番号": "postal_code",
	"کشور": "country", "国": "country",
	"birth date": "birth_date", "birthday": "birth_date", "date of birth": "birth_date", "dob": "birth_date",
	"تاریخ تولد": "birth_date", "生年月日": "birth_date", "誕生日": "birth_date",
	"زبان": "language", "言語": "language",
	"lifecycle stage": "stage", "مرحله": "stage", "ステージ": "stage",
	"lead source": "source", "منبع": "source", "流入元": "source", "ソース": "source",
	"tag": "tags", "برچسب": "tags", "برچسبها": "tags", "タグ": "tags",
	"website": "domain", "وبسایت": "domain", "ドメイン": "domain", "industry": "industry", "صنعت": "industry", "業種": "industry",
	"employees": "size", "تعداد کارکنان": "size", "従業員数": "size",
}

// normHeader lowercases a header and folds separators, so "First-Name",
// "first_name" and " FIRST NAME " compare equal; the zero-width non-joiner
// of Persian plurals (برچسب‌ها) is dropped.
func normHeader(h string) string {
	h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
	var b strings.Builder
	space := false
	for _, r := range h {
		switch {
		case r == '\u200c':
		case r == '_' || r == '-' || unicode.IsSpace(r):
			space = true
		default:
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
		}
	}
	return b.String()
}

// fieldFor suggests the field for a header, "" when none fits.
func fieldFor(entity, header string) string {
	if k, ok := strings.CutPrefix(strings.TrimSpace(header), "custom."); ok && k != "" {
		return "custom." + k
	}
	fields := ContactFields
	if entity == EntityCompany {
		fields = CompanyFields
	}
	n := normHeader(header)
	if f := strings.ReplaceAll(n, " ", "_"); slices.Contains(fields, f) {
		return f
	}
	f := headerAliases[n]
	if entity == EntityCompany {
		switch f {
		case "company", "first_name": // "Company", "名前" head the name column of a company list
			f = "name"
		}
		if n == "company name" || n == "نام شرکت" || n == "会社名" {
			f = "name"
		}
	}
	if slices.Contains(fields, f) {
		return f
	}
	return ""
}

// SuggestMapping maps each header to a field of the entity, leaving out
// headers that match none.
func SuggestMapping(entity string, headers []string) map[string]string {
	m := make(map[string]string, len(headers))
	used := map[string]bool{}
	for _, h := range headers {
		if f := fieldFor(entity, h); f != "" && !used[f] {
			m[h] = f
			used[f] = true
		}
	}
	return m
}

// PreviewCSV reads the header and up to rows records of a contact file
// for the import wizard: the headers, the sample, a suggested mapping
// and the encoding detected (or forced by enc).
func (t *Transfer) PreviewCSV(r io.Reader, enc string, rows int) (headers []string, sample [][]string, mapping map[string]string, encoding string, err error) {
	cr, err := csvx.NewReader(r, enc)
	if err != nil {
		return nil, nil, nil, "", crm.Errorf(crm.EINVALID, "%v", err)
	}
	rec, _, err := cr.Read()
	if err == io.EOF {
		return nil, nil, nil, cr.Encoding(), crm.Errorf(crm.EINVALID, "the file is empty")
	}
	if err != nil {
		return nil, nil, nil, cr.Encoding(), readError("cannot read the header: ", err)
	}
	headers = slices.Clone(rec)
	for len(sample) < rows {
		rec, _, err := cr.Read()
		if err == io.EOF {
			break
		}
		var le *csvx.LineError
		if errors.As(err, &le) && !le.Fatal() {
			continue // the import reports it with its line
		}
		if err != nil {
			// The reader cannot go on: every further Read returns this
			// error, so going on would spin for ever.
			return nil, nil, nil, cr.Encoding(), readError("", err)
		}
		sample = append(sample, slices.Clone(rec))
	}
	return headers, sample, SuggestMapping(EntityContact, headers), cr.Encoding(), nil
}

// checkMapping validates a mapping against the headers: every target must
// be a field of the entity or custom.<key>, used once.
func checkMapping(entity string, mapping map[string]string) error {
	fields := ContactFields
	if entity == EntityCompany {
		fields = CompanyFields
	} else if entity != EntityContact {
		return crm.Errorf(crm.EINVALID, "unknown entity %q", entity)
	}
	used := map[string]string{}
	for h, f := range mapping {
		if f == "" {
			continue
		}
		if !slices.Contains(fields, f) && !strings.HasPrefix(f, "custom.") {
			return crm.Errorf(crm.EINVALID, "column %q is mapped to unknown field %q", h, f)
		}
		if prev, ok := used[f]; ok {
			a, b := min(prev, h), max(prev, h)
			return crm.Errorf(crm.EINVALID, "columns %q and %q are both mapped to %s", a, b, f)
		}
		used[f] = h
	}
	return nil
}

// exportOnly are columns of ecrm's own list exports that an import cannot
// set; a re-imported export skips them rather than failing.
var exportOnly = []string{"id", "owner", "created at", "updated at", "contact count"}

// AutoMapping maps every header for a command-line import, failing on the
// first header that matches no field and is not custom.<key>: silently
// dropping a column would lose data the user meant to import.
func AutoMapping(entity string, headers []string) (map[string]string, error) {
	m := map[string]string{}
	for _, h := range headers {
		if slices.Contains(exportOnly, normHeader(h)) {
			continue
		}
		f := fieldFor(entity, h)
		if f == "" {
			return nil, crm.Errorf(crm.EINVALID, "%s", fmt.Sprintf(
				"column %q matches no %s field; rename it to a field name or custom.<key>", h, entity))
		}
		if err := checkMapping(entity, map[string]string{h: f}); err != nil {
			return nil, err
		}
		for prev, pf := range m {
			if pf == f {
				return nil, crm.Errorf(crm.EINVALID, "columns %q and %q are both read as %s", prev, h, f)
			}
		}
		m[h] = f
	}
	return m, nil
}
