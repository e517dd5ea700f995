package demo

// companyWord is the trade part of a company name and the industry it
// implies. Industries are stable lower-case codes so the console can
// translate them and filters group companies across languages.
type companyWord struct {
	industry, native, roman string
}

// Fictional name stems, chosen to avoid well-known real firms.
var companyPrefixes = [...][]name{
	ascii("Northwind", "Bluebell", "Summit", "Harbor", "Redwood", "Ironbridge", "Silverline",
		"Oakridge", "Brightwater", "Keystone", "Evergreen", "Pinecrest", "Crescent", "Lakeside",
		"Granite", "Meridian", "Beacon", "Westfield", "Stonegate", "Riverside", "Highland",
		"Copperleaf", "Foxglove", "Larkspur", "Bramble", "Cobalt", "Juniper", "Maplewood",
		"Northstar", "Sandstone"),
	pairs("آریا", "arya", "پارس", "pars", "سپهر", "sepehr", "البرز", "alborz", "زاگرس", "zagros",
		"کوروش", "kourosh", "مهر", "mehr", "آفتاب", "aftab", "نوین", "novin", "دماوند", "damavand",
		"سپید", "sepid", "بهار", "bahar", "آسمان", "aseman", "کیان", "kian", "ستاره", "setareh",
		"رهنما", "rahnama", "اطلس", "atlas", "پردیس", "pardis", "آرمان", "arman", "فردا", "farda",
		"نگین", "negin", "تابان", "taban", "روشن", "roshan", "پیشگامان", "pishgaman",
		"سیمرغ", "simorgh", "ارغوان", "arghavan", "آبان", "aban", "هامون", "hamoon"),
	pairs("山田", "yamada", "大和", "yamato", "富士", "fuji", "日の出", "hinode", "青葉", "aoba",
		"桜", "sakura", "北斗", "hokuto", "三和", "sanwa", "光", "hikari", "中央", "chuo",
		"千代田", "chiyoda", "平和", "heiwa", "新星", "shinsei", "双葉", "futaba", "若葉", "wakaba",
		"旭", "asahi", "東洋", "toyo", "大洋", "taiyo", "白鳥", "shiratori", "松風", "matsukaze",
		"緑川", "midorikawa", "高木", "takagi", "丸山", "maruyama", "朝霧", "asagiri",
		"菊水", "kikusui", "銀河", "ginga", "みらい", "mirai", "あおい", "aoi"),
}

var companyWords = [...][]companyWord{
	{
		{"software", "Software", "software"}, {"software", "Labs", "labs"}, {"software", "Systems", "systems"},
		{"retail", "Outfitters", "outfitters"}, {"retail", "Goods", "goods"}, {"trading", "Supply", "supply"},
		{"trading", "Trading", "trading"}, {"manufacturing", "Manufacturing", "manufacturing"},
		{"manufacturing", "Industries", "industries"}, {"logistics", "Logistics", "logistics"},
		{"logistics", "Freight", "freight"}, {"food", "Foods", "foods"}, {"food", "Bakery", "bakery"},
		{"healthcare", "Health", "health"}, {"healthcare", "Clinic", "clinic"}, {"finance", "Capital", "capital"},
		{"finance", "Financial", "financial"}, {"education", "Academy", "academy"},
		{"construction", "Builders", "builders"}, {"construction", "Construction", "construction"},
		{"tourism", "Travel", "travel"}, {"media", "Media", "media"}, {"media", "Studio", "studio"},
		{"energy", "Energy", "energy"}, {"consulting", "Consulting", "consulting"},
		{"consulting", "Partners", "partners"}, {"real_estate", "Properties", "properties"},
		{"real_estate", "Realty", "realty"},
	},
	// Persian names put the trade first: "بازرگانی پارس".
	{
		{"software", "شرکت نرم‌افزاری", "soft"}, {"software", "فناوری اطلاعات", "it"},
		{"trading", "بازرگانی", "trading"}, {"food", "صنایع غذایی", "food"},
		{"manufacturing", "گروه صنعتی", "industrial"}, {"manufacturing", "صنایع", "industries"},
		{"logistics", "حمل و نقل", "transport"}, {"logistics", "باربری", "cargo"},
		{"retail", "فروشگاه‌های زنجیره‌ای", "stores"}, {"healthcare", "داروسازی", "pharma"},
		{"healthcare", "کلینیک", "clinic"}, {"finance", "سرمایه‌گذاری", "invest"},
		{"education", "مؤسسه آموزشی", "academy"}, {"construction", "شرکت ساختمانی", "construction"},
		{"tourism", "آژانس مسافرتی", "travel"}, {"media", "نشر", "publishing"},
		{"media", "استودیو", "studio"}, {"energy", "انرژی", "energy"},
		{"consulting", "مشاوران مدیریت", "consulting"}, {"real_estate", "املاک", "estate"},
	},
	{
		{"software", "ソフト", "soft"}, {"software", "システム", "system"},
		{"trading", "商事", "shoji"}, {"trading", "物産", "bussan"},
		{"food", "食品", "shokuhin"}, {"food", "製菓", "seika"},
		{"manufacturing", "工業", "kogyo"}, {"manufacturing", "製作所", "seisakusho"},
		{"manufacturing", "電機", "denki"}, {"logistics", "運輸", "unyu"},
		{"logistics", "物流", "butsuryu"}, {"retail", "商店", "shoten"}, {"retail", "ストア", "store"},
		{"healthcare", "製薬", "seiyaku"}, {"healthcare", "クリニック", "clinic"},
		{"finance", "ファイナンス", "finance"}, {"education", "学院", "gakuin"},
		{"construction", "建設", "kensetsu"}, {"construction", "工務店", "komuten"},
		{"tourism", "観光", "kanko"}, {"tourism", "トラベル", "travel"},
		{"media", "出版", "shuppan"}, {"media", "メディア", "media"}, {"energy", "エナジー", "energy"},
		{"consulting", "コンサルティング", "consulting"}, {"real_estate", "不動産", "fudosan"},
	},
}

// jobTitles for B2B contacts, in the contact's language.
var jobTitles = [...][]string{
	{"CEO", "CTO", "Head of Sales", "Sales Manager", "Marketing Manager", "Account Manager",
		"Purchasing Manager", "Operations Director", "Office Manager", "Product Manager",
		"Software Engineer", "Finance Director", "HR Manager", "Buyer", "Founder"},
	{"مدیرعامل", "مدیر فنی", "مدیر فروش", "کارشناس فروش", "مدیر بازاریابی", "مدیر خرید",
		"مدیر عملیات", "مدیر دفتر", "مدیر محصول", "مهندس نرم‌افزار", "مدیر مالی",
		"مدیر منابع انسانی", "کارشناس خرید", "بنیان‌گذار"},
	{"代表取締役", "取締役", "営業部長", "営業課長", "マーケティング部長", "購買担当",
		"総務部長", "経理部長", "人事部長", "プロダクトマネージャー", "エンジニア", "営業担当",
		"店長", "事業部長"},
}
