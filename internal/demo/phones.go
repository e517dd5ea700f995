package demo

import "strconv"

// Mobile prefixes that libphonenumber accepts as valid for the country
// (checked by TestPhonesValid), so imports and dedupe see real-looking
// numbers rather than merely possible ones.
var (
	mobilePrefixIR = []string{"912", "913", "914", "915", "917", "919", "935", "936", "937", "938", "939", "901", "902", "903", "990", "921", "922"}
	mobilePrefixGB = []string{"7400", "7412", "7480", "7520", "7545", "7712", "7723", "7801", "7825", "7956", "7960", "7970", "7983"}
	mobilePrefixDE = []string{"151", "152", "157", "160", "170", "171", "172", "173", "175", "176", "177", "178", "179"}
	mobilePrefixJP = []string{"90", "80", "70"}
)

func itoa(n int) string { return strconv.Itoa(n) }

// digits returns n random decimal digits.
func digits(r *rng, n int) string {
	var buf [16]byte
	for i := range n {
		buf[i] = byte('0' + r.intn(10))
	}
	return string(buf[:n])
}

// subscriber returns n digits not starting with 0 or 1, which local
// numbering plans reserve for trunk and service prefixes.
func subscriber(r *rng, n int) string {
	return string(rune('2'+r.intn(8))) + digits(r, n-1)
}

// nanpExchange returns a North American exchange code: it starts with 2–9
// and is not N11, which are service numbers (411, 911).
func nanpExchange(r *rng) string {
	e := subscriber(r, 3)
	if e[1:] == "11" {
		e = e[:2] + "2"
	}
	return e
}

// persianDigits writes ASCII digits as Persian ones, as Persian text does.
func persianDigits(s string) string {
	out := make([]rune, 0, len(s))
	for _, c := range s {
		if c >= '0' && c <= '9' {
			c = '۰' + (c - '0')
		}
		out = append(out, c)
	}
	return string(out)
}

// mobile returns a personal number in one of the ways people of the
// country write it: international or national, with the local grouping.
// National forms are read with the contact's country by crm.NormalizePhone.
func mobile(r *rng, cc string, c *city) string {
	intl := r.chance(0.6)
	switch cc {
	case "US", "CA":
		// North America has no mobile ranges: a mobile uses the city's area code.
		n := "(" + c.area + ") " + nanpExchange(r) + "-" + digits(r, 4)
		if intl {
			return "+1 " + n
		}
		return n
	case "GB":
		p, rest := pick(r, mobilePrefixGB), digits(r, 6)
		if intl {
			return "+44 " + p + " " + rest
		}
		return "0" + p + " " + rest
	case "DE":
		p, rest := pick(r, mobilePrefixDE), digits(r, 8)
		if intl {
			return "+49 " + p + " " + rest
		}
		return "0" + p + " " + rest
	case "AU":
		p := "4" + itoa(r.between(0, 3)) + digits(r, 1)
		rest := digits(r, 3) + " " + digits(r, 3)
		if intl {
			return "+61 " + p + " " + rest
		}
		return "0" + p + " " + rest
	case "IR":
		p := pick(r, mobilePrefixIR)
		rest := digits(r, 3) + " " + digits(r, 4)
		if intl {
			return "+98 " + p + " " + rest
		}
		return "0" + p + " " + rest
	case "JP":
		p := pick(r, mobilePrefixJP)
		rest := string(rune('1'+r.intn(9))) + digits(r, 3) + "-" + digits(r, 4)
		if intl {
			return "+81 " + p + "-" + rest
		}
		return "0" + p + "-" + rest
	}
	return ""
}

// landline returns an office number in the city's area code, in the
// country's national format.
func landline(r *rng, cc string, c *city) string {
	sub := subscriber(r, c.subLen)
	if c.lead != "" {
		sub = string(c.lead[r.intn(len(c.lead))]) + sub[1:]
	}
	split := len(sub) - 4
	switch cc {
	case "US", "CA":
		return "(" + c.area + ") " + nanpExchange(r) + "-" + sub[3:]
	case "AU":
		return "(0" + c.area + ") " + sub[:split] + " " + sub[split:]
	case "DE":
		return "0" + c.area + " " + sub
	case "JP":
		return "0" + c.area + "-" + sub[:split] + "-" + sub[split:]
	}
	return "0" + c.area + " " + sub[:split] + " " + sub[split:]
}
