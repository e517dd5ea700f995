package demo

import "strings"

// name is a name as written in its own script and the ASCII romanisation
// people from that locale actually use in their email addresses.
type name struct {
	native, roman string
}

// nameList holds one locale's names, most common first (see rng.skewed).
type nameList struct {
	female, male, family []name
}

// ascii builds a list for Latin-script names, whose romanisation is just
// the lower-case spelling.
func ascii(ss ...string) []name {
	out := make([]name, len(ss))
	for i, s := range ss {
		out[i] = name{s, strings.ToLower(s)}
	}
	return out
}

// pairs builds a list from native/romanised pairs.
func pairs(ss ...string) []name {
	out := make([]name, len(ss)/2)
	for i := range out {
		out[i] = name{ss[2*i], ss[2*i+1]}
	}
	return out
}

var englishNames = nameList{
	female: ascii("Emma", "Olivia", "Sophia", "Emily", "Charlotte", "Amelia", "Grace", "Hannah",
		"Chloe", "Lucy", "Ella", "Mia", "Isabella", "Abigail", "Madison", "Sarah", "Jessica",
		"Rachel", "Laura", "Katherine", "Megan", "Rebecca", "Lauren", "Natalie", "Victoria",
		"Alice", "Evelyn", "Harper", "Zoe", "Lily", "Anna", "Ruby", "Claire", "Holly", "Naomi",
		"Jennifer", "Michelle", "Stephanie", "Nicole", "Samantha"),
	male: ascii("James", "Oliver", "William", "Jack", "Harry", "Noah", "Liam", "Ethan",
		"Daniel", "Thomas", "Michael", "David", "Matthew", "Joseph", "Samuel", "Benjamin",
		"Henry", "Lucas", "Alexander", "Ryan", "Andrew", "Christopher", "Joshua", "Nathan",
		"Connor", "George", "Charlie", "Edward", "Adam", "Owen", "Luke", "Aaron", "Patrick",
		"Robert", "Peter", "Simon", "Mark", "Kevin", "Brian", "Jason"),
	family: ascii("Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson",
		"Taylor", "Anderson", "Thomas", "Moore", "Martin", "Jackson", "Thompson", "White",
		"Harris", "Clark", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright",
		"Scott", "Green", "Baker", "Adams", "Nelson", "Hill", "Campbell", "Mitchell", "Roberts",
		"Carter", "Phillips", "Evans", "Turner", "Parker", "Collins", "Edwards", "Stewart",
		"Morris", "Murphy", "Cook", "Rogers", "Morgan", "Cooper", "Peterson", "Reed", "Bailey",
		"Bell", "Kelly", "Howard", "Ward", "Cox", "Richardson", "Wood", "Watson", "Brooks",
		"Bennett", "Gray", "Hughes", "Price", "Sanders", "Fisher", "Ellis", "Harrison", "Gibson",
		"Marshall", "Owens", "Hamilton", "Graham", "Wallace", "West", "Cole", "Hayes", "Foster"),
}

var persianNames = nameList{
	female: pairs("فاطمه", "fatemeh", "زهرا", "zahra", "مریم", "maryam", "سارا", "sara",
		"نازنین", "nazanin", "مهسا", "mahsa", "نگار", "negar", "الهام", "elham", "لیلا", "leila",
		"پریسا", "parisa", "شیرین", "shirin", "آزاده", "azadeh", "نرگس", "narges", "سمیرا", "samira",
		"یاسمن", "yasaman", "ترانه", "taraneh", "بهاره", "bahareh", "ریحانه", "reyhaneh",
		"کیمیا", "kimia", "هستی", "hasti", "مینا", "mina", "رویا", "roya", "نسترن", "nastaran",
		"پرستو", "parastoo", "شیوا", "shiva", "ستاره", "setareh", "محبوبه", "mahboubeh",
		"فرشته", "fereshteh", "گلناز", "golnaz", "آیدا", "aida"),
	male: pairs("محمد", "mohammad", "علی", "ali", "حسین", "hossein", "رضا", "reza",
		"مهدی", "mehdi", "امیر", "amir", "حمید", "hamid", "سعید", "saeed", "مجید", "majid",
		"محسن", "mohsen", "بهرام", "bahram", "کاوه", "kaveh", "آرش", "arash", "پویا", "pouya",
		"بابک", "babak", "کامران", "kamran", "فرهاد", "farhad", "داریوش", "dariush",
		"سینا", "sina", "نیما", "nima", "امید", "omid", "احسان", "ehsan", "مسعود", "masoud",
		"پیمان", "peyman", "شهرام", "shahram", "سیاوش", "siavash", "میلاد", "milad",
		"حامد", "hamed", "کیوان", "keyvan", "بهزاد", "behzad"),
	family: pairs("محمدی", "mohammadi", "حسینی", "hosseini", "احمدی", "ahmadi", "رضایی", "rezaei",
		"کریمی", "karimi", "موسوی", "mousavi", "جعفری", "jafari", "صادقی", "sadeghi",
		"رحیمی", "rahimi", "کاظمی", "kazemi", "هاشمی", "hashemi", "قاسمی", "ghasemi",
		"نوری", "nouri", "اکبری", "akbari", "طاهری", "taheri", "عباسی", "abbasi",
		"شریفی", "sharifi", "یزدانی", "yazdani", "تهرانی", "tehrani", "اصفهانی", "esfahani",
		"شیرازی", "shirazi", "نجفی", "najafi", "مرادی", "moradi", "فرهادی", "farhadi",
		"سلطانی", "soltani", "بهرامی", "bahrami", "ملکی", "maleki", "زارعی", "zarei",
		"کرمانی", "kermani", "امینی", "amini", "نیک‌نام", "niknam", "پاکزاد", "pakzad",
		"فراهانی", "farahani", "رستمی", "rostami", "حیدری", "heidari", "یوسفی", "yousefi",
		"خسروی", "khosravi", "میرزایی", "mirzaei", "سبحانی", "sobhani", "کیانی", "kiani"),
}

// Japanese romanisations follow the Hepburn spellings people use in email
// addresses: no macrons, "ou"/"oo" long vowels written as a single vowel.
var japaneseNames = nameList{
	female: pairs("陽菜", "hina", "結衣", "yui", "さくら", "sakura", "美咲", "misaki", "葵", "aoi",
		"花子", "hanako", "愛", "ai", "真由美", "mayumi", "由美子", "yumiko", "恵子", "keiko",
		"直美", "naomi", "明美", "akemi", "彩", "aya", "優子", "yuko", "智子", "tomoko",
		"千尋", "chihiro", "七海", "nanami", "舞", "mai", "美穂", "miho", "裕子", "hiroko",
		"久美子", "kumiko", "陽子", "yoko", "京子", "kyoko", "香織", "kaori", "奈々", "nana",
		"芽衣", "mei", "凛", "rin", "美月", "mizuki", "沙織", "saori", "紗希", "saki"),
	male: pairs("翔太", "shota", "大輔", "daisuke", "健太", "kenta", "拓也", "takuya", "蓮", "ren",
		"悠斗", "yuto", "陽翔", "haruto", "太郎", "taro", "直樹", "naoki", "健一", "kenichi",
		"誠", "makoto", "浩二", "koji", "和也", "kazuya", "隆", "takashi", "大樹", "daiki",
		"翼", "tsubasa", "亮", "ryo", "修", "osamu", "哲也", "tetsuya", "雄一", "yuichi",
		"裕太", "yuta", "圭", "kei", "剛", "tsuyoshi", "学", "manabu", "博之", "hiroyuki",
		"慎吾", "shingo", "達也", "tatsuya", "光", "hikaru", "湊", "minato", "颯太", "sota"),
	family: pairs("佐藤", "sato", "鈴木", "suzuki", "高橋", "takahashi", "田中", "tanaka",
		"伊藤", "ito", "渡辺", "watanabe", "山本", "yamamoto", "中村", "nakamura",
		"小林", "kobayashi", "加藤", "kato", "吉田", "yoshida", "山田", "yamada",
		"佐々木", "sasaki", "山口", "yamaguchi", "松本", "matsumoto", "井上", "inoue",
		"木村", "kimura", "林", "hayashi", "斎藤", "saito", "清水", "shimizu",
		"山崎", "yamazaki", "森", "mori", "池田", "ikeda", "橋本", "hashimoto",
		"阿部", "abe", "石川", "ishikawa", "前田", "maeda", "藤田", "fujita",
		"小川", "ogawa", "岡田", "okada", "後藤", "goto", "長谷川", "hasegawa",
		"村上", "murakami", "近藤", "kondo", "石井", "ishii", "坂本", "sakamoto",
		"遠藤", "endo", "青木", "aoki", "藤井", "fujii", "西村", "nishimura"),
}
