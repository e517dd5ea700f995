package demo

import "strings"

// city is one place contacts and companies live in. The fields beside the
// name keep the rest of an address consistent with it: the landline area
// code, the postal-code prefix and the UTC offset used to put calls and
// meetings inside the local working day.
type city struct {
	name, region string
	weight       int
	area         string // landline area code without the trunk prefix
	subLen       int    // landline subscriber digits after the area code
	postal       string // postal-code prefix; GB: space-separated outward codes
	tz           int    // minutes east of UTC (standard time; DST ignored)
	lead         string // digits a landline subscriber number may start with; "" is 2–9
}

// country groups cities with the code used for phones and addresses.
type country struct {
	code    string
	cities  []city
	weights []int
}

func newCountry(code string, cities ...city) *country {
	c := &country{code: code, cities: cities}
	for _, ct := range cities {
		c.weights = append(c.weights, ct.weight)
	}
	return c
}

func (c *country) city(r *rng) *city { return &c.cities[r.weighted(c.weights)] }

// Iranian and Japanese places are written in their own script, as
// a Persian- or Japanese-speaking customer would type them.
var (
	countryUS = newCountry("US",
		city{"New York", "New York", 18, "212", 7, "100", -300, ""},
		city{"Los Angeles", "California", 14, "213", 7, "900", -480, ""},
		city{"Chicago", "Illinois", 10, "312", 7, "606", -360, ""},
		city{"Houston", "Texas", 8, "713", 7, "770", -360, ""},
		city{"San Francisco", "California", 8, "415", 7, "941", -480, ""},
		city{"Seattle", "Washington", 7, "206", 7, "981", -480, ""},
		city{"Boston", "Massachusetts", 7, "617", 7, "021", -300, ""},
		city{"Austin", "Texas", 6, "512", 7, "787", -360, ""},
		city{"Denver", "Colorado", 6, "303", 7, "802", -420, ""},
		city{"Atlanta", "Georgia", 6, "404", 7, "303", -300, ""},
		city{"Miami", "Florida", 5, "305", 7, "331", -300, ""},
		city{"Portland", "Oregon", 5, "503", 7, "972", -480, ""},
	)
	countryGB = newCountry("GB",
		city{"London", "England", 30, "20", 8, "SW1A EC1A N1 E14 W1D SE1 NW3", 0, "378"},
		city{"Manchester", "England", 10, "161", 7, "M1 M4 M20", 0, "2345678"},
		city{"Birmingham", "England", 9, "121", 7, "B1 B15 B29", 0, "234567"},
		city{"Leeds", "England", 6, "113", 7, "LS1 LS6", 0, "2345"},
		city{"Bristol", "England", 6, "117", 7, "BS1 BS8", 0, "234"},
		city{"Edinburgh", "Scotland", 6, "131", 7, "EH1 EH3 EH9", 0, "2345678"},
		city{"Glasgow", "Scotland", 6, "141", 7, "G1 G12", 0, "2345678"},
		city{"Cardiff", "Wales", 4, "29", 8, "CF10 CF24", 0, "2"},
		city{"Belfast", "Northern Ireland", 3, "28", 8, "BT1 BT9", 0, "9"},
	)
	countryCA = newCountry("CA",
		city{"Toronto", "Ontario", 10, "416", 7, "M5V", -300, ""},
		city{"Vancouver", "British Columbia", 7, "604", 7, "V6B", -480, ""},
		city{"Montreal", "Quebec", 6, "514", 7, "H2X", -300, ""},
		city{"Calgary", "Alberta", 4, "403", 7, "T2P", -420, ""},
		city{"Ottawa", "Ontario", 3, "613", 7, "K1P", -300, ""},
	)
	countryAU = newCountry("AU",
		city{"Sydney", "New South Wales", 10, "2", 8, "20", 600, "89"},
		city{"Melbourne", "Victoria", 9, "3", 8, "30", 600, "89"},
		city{"Brisbane", "Queensland", 5, "7", 8, "40", 600, "3"},
		city{"Perth", "Western Australia", 4, "8", 8, "60", 480, "9"},
	)
	countryDE = newCountry("DE",
		city{"Berlin", "Berlin", 10, "30", 8, "10", 60, ""},
		city{"Hamburg", "Hamburg", 6, "40", 8, "22", 60, ""},
		city{"München", "Bayern", 6, "89", 8, "80", 60, ""},
		city{"Köln", "Nordrhein-Westfalen", 4, "221", 7, "50", 60, ""},
		city{"Frankfurt am Main", "Hessen", 4, "69", 8, "60", 60, ""},
	)
	countryIR = newCountry("IR",
		city{"تهران", "تهران", 40, "21", 8, "1", 210, ""},
		city{"اصفهان", "اصفهان", 12, "31", 8, "8", 210, ""},
		city{"شیراز", "فارس", 10, "71", 8, "7", 210, ""},
		city{"مشهد", "خراسان رضوی", 10, "51", 8, "9", 210, ""},
		city{"تبریز", "آذربایجان شرقی", 8, "41", 8, "5", 210, ""},
		city{"کرج", "البرز", 7, "26", 8, "3", 210, ""},
		city{"رشت", "گیلان", 4, "13", 8, "4", 210, ""},
		city{"یزد", "یزد", 3, "35", 8, "8", 210, ""},
		city{"کرمان", "کرمان", 3, "34", 8, "7", 210, ""},
	)
	countryJP = newCountry("JP",
		city{"渋谷区", "東京都", 8, "3", 8, "150", 540, ""},
		city{"新宿区", "東京都", 8, "3", 8, "160", 540, ""},
		city{"港区", "東京都", 7, "3", 8, "106", 540, ""},
		city{"世田谷区", "東京都", 7, "3", 8, "154", 540, ""},
		city{"千代田区", "東京都", 5, "3", 8, "101", 540, ""},
		city{"大阪市", "大阪府", 14, "6", 8, "530", 540, ""},
		city{"堺市", "大阪府", 3, "72", 7, "590", 540, ""},
		city{"京都市", "京都府", 9, "75", 7, "604", 540, ""},
		city{"横浜市", "神奈川県", 10, "45", 7, "231", 540, ""},
		city{"川崎市", "神奈川県", 4, "44", 7, "210", 540, ""},
		city{"名古屋市", "愛知県", 8, "52", 7, "460", 540, ""},
		city{"福岡市", "福岡県", 6, "92", 7, "810", 540, ""},
		city{"札幌市", "北海道", 5, "11", 7, "060", 540, "2"},
	)
)

// countryMix is where the speakers of each locale live: English speakers
// across the anglophone world and a few in Germany, and Persian and
// Japanese speakers mostly at home with a diaspora abroad.
var countryMix = map[string]struct {
	countries []*country
	weights   []int
}{
	"en": {[]*country{countryUS, countryGB, countryCA, countryAU, countryDE}, []int{55, 25, 8, 7, 5}},
	"fa": {[]*country{countryIR, countryUS, countryCA, countryDE}, []int{90, 4, 3, 3}},
	"ja": {[]*country{countryJP, countryUS}, []int{96, 4}},
}

func countryFor(r *rng, locale string) *country {
	m := countryMix[locale]
	return m.countries[r.weighted(m.weights)]
}

var (
	streetNamesEN = []string{"Maple", "Oak", "Pine", "Cedar", "Elm", "Washington", "Lincoln", "Park",
		"Lake", "Hill", "Main", "Church", "Highland", "Sunset", "River", "Spring", "Willow",
		"Chestnut", "Franklin", "Jefferson", "Victoria", "Station", "Mill", "Albert", "York"}
	streetKindsEN  = []string{"Street", "Avenue", "Road", "Drive", "Lane", "Boulevard", "Court", "Place"}
	streetKindsGB  = []string{"Road", "Street", "Lane", "Close", "Gardens", "Terrace", "Way"}
	streetNamesDE  = []string{"Haupt", "Bahnhof", "Garten", "Schiller", "Goethe", "Linden", "Schul", "Wald", "Kirch", "Mozart", "Berliner", "Friedrich"}
	streetNamesFA  = []string{"ولیعصر", "انقلاب", "آزادی", "شریعتی", "فردوسی", "حافظ", "سعدی", "مطهری", "کریمخان زند", "طالقانی", "جمهوری", "بهار", "نیاوران", "پاسداران"}
	alleyNamesFA   = []string{"نسترن", "یاس", "لاله", "ارغوان", "سرو", "بهاران", "مهر", "گلستان"}
	townNamesJA    = []string{"本町", "中町", "栄町", "旭町", "緑町", "桜町", "東町", "西町", "南町", "北町", "幸町", "錦町"}
	postalLetterGB = "ABDEFGHJLNPQRSTUWXYZ"
	postalLetterCA = "ABCEGHJKLMNPRSTVWXYZ"
)

// street returns a street address written the way the country writes it.
func street(r *rng, cc string) string {
	var b strings.Builder
	switch cc {
	case "IR":
		b.WriteString("خیابان ")
		b.WriteString(pick(r, streetNamesFA))
		b.WriteString("، کوچه ")
		if r.chance(0.5) {
			b.WriteString(pick(r, alleyNamesFA))
		} else {
			b.WriteString(persianDigits(itoa(r.between(1, 40))))
		}
		b.WriteString("، پلاک ")
		b.WriteString(persianDigits(itoa(r.between(1, 120))))
	case "JP":
		b.WriteString(pick(r, townNamesJA))
		b.WriteString(itoa(r.between(1, 5)))
		b.WriteString("丁目")
		b.WriteString(itoa(r.between(1, 30)))
		b.WriteByte('-')
		b.WriteString(itoa(r.between(1, 20)))
	case "DE":
		b.WriteString(pick(r, streetNamesDE))
		b.WriteString("straße ")
		b.WriteString(itoa(r.between(1, 120)))
	case "GB":
		b.WriteString(itoa(r.between(1, 250)))
		b.WriteByte(' ')
		b.WriteString(pick(r, streetNamesEN))
		b.WriteByte(' ')
		b.WriteString(pick(r, streetKindsGB))
	default:
		b.WriteString(itoa(r.between(1, 9999)))
		b.WriteByte(' ')
		b.WriteString(pick(r, streetNamesEN))
		b.WriteByte(' ')
		b.WriteString(pick(r, streetKindsEN))
	}
	return b.String()
}

// postalCode returns a code in the country's format whose prefix matches
// the city, so a reader who knows the country sees it as local.
func postalCode(r *rng, cc string, c *city) string {
	switch cc {
	case "US":
		return c.postal + digits(r, 2)
	case "CA":
		return c.postal + " " + digits(r, 1) + string(postalLetterCA[r.intn(len(postalLetterCA))]) + digits(r, 1)
	case "GB":
		out := pick(r, strings.Fields(c.postal))
		return out + " " + digits(r, 1) + string(postalLetterGB[r.intn(len(postalLetterGB))]) + string(postalLetterGB[r.intn(len(postalLetterGB))])
	case "DE":
		return c.postal + digits(r, 3)
	case "AU":
		return c.postal + digits(r, 2)
	case "IR":
		return c.postal + digits(r, 4) + "-" + digits(r, 5)
	case "JP":
		return c.postal + "-" + digits(r, 4)
	}
	return ""
}
