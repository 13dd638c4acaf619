"""Countries for the HTML family: how each writes dates, amounts, VAT ids and bank details, and
its own pools of company, person and street names (independent of the first family's pools;
only the Locale record and CENT come from benchmarks.synthetic_locale)."""

from __future__ import annotations

import datetime as dt
import random
import unicodedata
from decimal import ROUND_HALF_UP, Decimal

from benchmarks.synthetic_locale import CENT, Locale
from benchmarks.synthetic_locale import MONTHS as BASE_MONTHS

D = Decimal

LOCALES = {
    "en-GB": Locale(
        "en-GB", "en", ("GBP", "EUR"), ",", ".", ("dmy_slash", "long_dmy", "short_dmy", "iso"), (D(20), D(5)), True
    ),
    "en-IE": Locale(
        "en-IE", "en", ("EUR",), ",", ".", ("dmy_slash", "long_dmy", "short_dmy"), (D(23), D("13.5")), True
    ),
    "en-US": Locale(
        "en-US", "en", ("USD",), ",", ".", ("mdy_slash", "long_mdy", "short_mdy"), (D("8.25"), D("7.5")), True, True
    ),
    "fr-FR": Locale(
        "fr-FR", "fr", ("EUR",), " ", ",", ("dmy_slash", "long_dmy", "iso"), (D(20), D(10), D("5.5")), False
    ),
    "fr-BE": Locale("fr-BE", "fr", ("EUR",), ".", ",", ("dmy_slash", "long_dmy"), (D(21), D(6), D(12)), False),
    "de-DE": Locale("de-DE", "de", ("EUR",), ".", ",", ("dmy_dot", "long_dmy_dot", "iso"), (D(19), D(7)), False),
    "de-AT": Locale("de-AT", "de", ("EUR",), ".", ",", ("dmy_dot", "long_dmy_dot"), (D(20), D(10), D(13)), False),
    "de-CH": Locale("de-CH", "de", ("CHF",), "'", ".", ("dmy_dot", "long_dmy_dot"), (D("8.1"), D("2.6")), True),
    "nl-NL": Locale("nl-NL", "nl", ("EUR",), ".", ",", ("dmy_dash", "long_dmy", "iso"), (D(21), D(9)), True),
    "nl-BE": Locale("nl-BE", "nl", ("EUR",), ".", ",", ("dmy_slash", "long_dmy"), (D(21), D(6), D(12)), False),
    "it-IT": Locale("it-IT", "it", ("EUR",), ".", ",", ("dmy_slash", "long_dmy"), (D(22), D(10), D(4)), False),
    "es-ES": Locale(
        "es-ES", "es", ("EUR",), ".", ",", ("dmy_slash", "long_dmy_de", "dmy_dash"), (D(21), D(10), D(4)), False
    ),
}
LOCALE_WEIGHTS = {
    "en-GB": 3, "en-IE": 1, "en-US": 2, "fr-FR": 3, "fr-BE": 1, "de-DE": 3, "de-AT": 1, "de-CH": 1,
    "nl-NL": 2, "nl-BE": 1, "it-IT": 2, "es-ES": 2,
}  # fmt: skip
LANGUAGES = ("en", "fr", "de", "nl", "it", "es")
SYMBOLS = {"EUR": "€", "GBP": "£", "USD": "$", "CHF": "CHF"}
REVERSE_CHARGE_PARTNER = {  # where a cross-border B2B customer of this country sits
    "en-GB": "fr-FR", "en-IE": "de-DE", "fr-FR": "de-DE", "fr-BE": "nl-NL", "de-DE": "fr-FR", "de-AT": "it-IT",
    "nl-NL": "de-DE", "nl-BE": "fr-FR", "it-IT": "es-ES", "es-ES": "it-IT",
}  # fmt: skip
INSURANCE_TAX = {  # insurance premium tax rates, printed where an insurer's bill prints its tax
    "en-GB": D(12), "en-IE": D(3), "en-US": D(2), "fr-FR": D(9), "fr-BE": D("9.25"), "de-DE": D(19), "de-AT": D(11),
    "de-CH": D(5), "nl-NL": D(21), "nl-BE": D("9.25"), "it-IT": D("22.25"), "es-ES": D(8),
}  # fmt: skip
ENERGY_VAT = {"en-GB": D(5), "en-IE": D(9), "en-US": D("6.25"), "it-IT": D(10)}

MONTHS = {
    **BASE_MONTHS,  # en, fr, de: the same month names as the reportlab family
    "nl": [
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ],
    "it": [
        "gennaio",
        "febbraio",
        "marzo",
        "aprile",
        "maggio",
        "giugno",
        "luglio",
        "agosto",
        "settembre",
        "ottobre",
        "novembre",
        "dicembre",
    ],
    "es": [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ],
}
SHORT_MONTHS = {lang: [m[:3].capitalize() for m in months] for lang, months in MONTHS.items()}


def format_date(value: dt.date, style: str, language: str) -> str:
    d, m, y = value.day, value.month, value.year
    month = MONTHS[language][m - 1]
    return {
        "dmy_slash": f"{d:02d}/{m:02d}/{y}",
        "mdy_slash": f"{m:02d}/{d:02d}/{y}",
        "dmy_dot": f"{d:02d}.{m:02d}.{y}",
        "dmy_dash": f"{d:02d}-{m:02d}-{y}",
        "iso": value.isoformat(),
        "long_dmy": f"{d} {month} {y}",
        "long_mdy": f"{month} {d}, {y}",
        "long_dmy_dot": f"{d}. {month} {y}",
        "long_dmy_de": f"{d} de {month} de {y}",
        "short_dmy": f"{d} {SHORT_MONTHS[language][m - 1]} {y}",
        "short_mdy": f"{SHORT_MONTHS[language][m - 1]} {d}, {y}",
    }[style]


def format_amount(value: Decimal, locale: Locale, grouping: bool = True, places: int = 2) -> str:
    """'1 234,56' / '1.234,56' / '1,234.56' / "1'234.56" (or without grouping); '-' for negatives."""
    sign = "-" if value < 0 else ""
    quantum = Decimal(1).scaleb(-places)
    text = f"{abs(value.quantize(quantum, ROUND_HALF_UP)):.{places}f}"
    whole, _, frac = text.partition(".")
    if grouping:
        groups = []
        while whole:
            groups.insert(0, whole[-3:])
            whole = whole[:-3]
        whole = locale.thousands.join(groups)
    return f"{sign}{whole}{locale.decimal}{frac}" if places else f"{sign}{whole}"


class Money:
    """How one document writes money: symbol or ISO code, before or after, negatives."""

    def __init__(self, rng: random.Random, locale: Locale, currency: str, erp: bool = False):
        self.locale, self.currency = locale, currency
        self.symbol = rng.random() < 0.65
        self.grouping = rng.random() < 0.85
        self.trailing_minus = erp and rng.random() < 0.35  # SAP-style '1.234,56-'
        self.mark = SYMBOLS[currency] if self.symbol else currency
        if locale.language == "en":  # '£1,234.56', 'GBP 1,234.56'
            self.before, self.space = True, not self.symbol
        elif locale.key == "nl-NL" or self.mark == "CHF":  # '€ 1.234,56', 'CHF 1'234.50'
            self.before, self.space = True, True
        elif not self.symbol:  # '1.234,56 EUR' or 'EUR 1.234,56'
            self.before, self.space = rng.random() < 0.3, True
        else:  # '1 234,56 €'
            self.before, self.space = False, True

    def amount(self, value: Decimal, places: int = 2) -> str:
        text = format_amount(abs(value), self.locale, self.grouping, places)
        if value < 0:
            return f"{text}-" if self.trailing_minus else f"-{text}"
        return text

    def __call__(self, value: Decimal, places: int = 2) -> str:
        text = format_amount(abs(value), self.locale, self.grouping, places)
        gap = " " if self.space else ""
        if value < 0 and self.trailing_minus:
            text += "-"
        elif value < 0:
            text = "-" + text
        if self.before and self.symbol and not self.space and value < 0:
            return f"-{self.mark}{text[1:]}"  # '-£1,234.56'
        return f"{self.mark}{gap}{text}" if self.before else f"{text}{gap}{self.mark}"


def format_rate(rate: Decimal, locale: Locale) -> str:
    return f"{rate.normalize():f}".replace(".", locale.decimal)


def format_quantity(quantity: Decimal, locale: Locale) -> str:
    text = f"{quantity.normalize():f}"
    return text.replace(".", locale.decimal)


# -- identifiers ---------------------------------------------------------------------------


def digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def letters(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(n))


def vat_id(rng: random.Random, locale: Locale) -> tuple[str | None, str | None]:
    """(label value, printed form) of a company's VAT id in this country; (None, None) in the US."""
    key = locale.key
    if key == "en-US":
        return None, None
    if key == "fr-FR":
        siren = digits(rng, 9)
        check = (12 + 3 * (int(siren) % 97)) % 97
        value = f"FR{check:02d}{siren}"
        return value, rng.choice([value, f"FR {check:02d} {siren[:3]} {siren[3:6]} {siren[6:]}"])
    if key in ("fr-BE", "nl-BE"):
        body = "0" + digits(rng, 7)
        number = body + f"{97 - int(body) % 97:02d}"
        value = f"BE{number}"
        return value, rng.choice([value, f"BE {number[:4]}.{number[4:7]}.{number[7:]}"])
    if key == "de-DE":
        value = "DE" + digits(rng, 9)
        return value, rng.choice([value, f"DE {value[2:5]} {value[5:8]} {value[8:]}"])
    if key == "de-AT":
        value = "ATU" + digits(rng, 8)
        return value, value
    if key == "de-CH":
        d = digits(rng, 9)
        value = f"CHE-{d[:3]}.{d[3:6]}.{d[6:]}"
        return value, rng.choice([value, f"{value} MWST"])
    if key == "nl-NL":
        value = f"NL{digits(rng, 9)}B{rng.randint(1, 3):02d}"
        return value, rng.choice([value, f"{value[:6]}.{value[6:9]}.{value[9:]}"])
    if key == "it-IT":
        value = "IT" + digits(rng, 11)
        return value, value
    if key == "es-ES":
        value = f"ES{rng.choice('ABBBCDEFGHJ')}{digits(rng, 8)}"
        return value, value
    if key == "en-IE":
        value = f"IE{digits(rng, 7)}{letters(rng, 1)}"
        return value, value
    value = "GB" + digits(rng, 9)
    return value, rng.choice([value, f"GB {value[2:5]} {value[5:9]} {value[9:]}"])


_IBAN = {  # country, BBAN pattern (a: letter, n: digit)
    "en-GB": ("GB", "aaaa" + "n" * 14),
    "en-IE": ("IE", "aaaa" + "n" * 14),
    "fr-FR": ("FR", "n" * 23),
    "fr-BE": ("BE", "n" * 12),
    "nl-BE": ("BE", "n" * 12),
    "de-DE": ("DE", "n" * 18),
    "de-AT": ("AT", "n" * 16),
    "de-CH": ("CH", "n" * 17),
    "nl-NL": ("NL", "aaaa" + "n" * 10),
    "it-IT": ("IT", "a" + "n" * 22),
    "es-ES": ("ES", "n" * 20),
}
_BANKS = {
    "en-GB": ["BARCGB22", "NWBKGB2L", "HBUKGB4B", "LOYDGB2L"],
    "en-IE": ["AIBKIE2D", "BOFIIE2D", "IPBSIE2D"],
    "fr-FR": ["BNPAFRPP", "SOGEFRPP", "CRLYFRPP", "AGRIFRPP"],
    "fr-BE": ["GEBABEBB", "BBRUBEBB", "KREDBEBB"],
    "nl-BE": ["GEBABEBB", "KREDBEBB", "BBRUBEBB"],
    "de-DE": ["COBADEFF", "DEUTDEFF", "GENODEF1", "HYVEDEMM"],
    "de-AT": ["BKAUATWW", "RZBAATWW", "GIBAATWW"],
    "de-CH": ["UBSWCHZH", "ZKBKCHZZ", "POFICHBE"],
    "nl-NL": ["INGBNL2A", "RABONL2U", "ABNANL2A"],
    "it-IT": ["BCITITMM", "UNCRITMM", "BPMOIT22"],
    "es-ES": ["CAIXESBB", "BBVAESMM", "BSCHESMM"],
}


def iban_and_bic(rng: random.Random, locale: Locale) -> tuple[str, str, str] | tuple[None, None, None]:
    """(IBAN compact, IBAN in groups of four, BIC) with valid check digits; Nones in the US."""
    if locale.key not in _IBAN:
        return None, None, None
    country, pattern = _IBAN[locale.key]
    bban = "".join(letters(rng, 1) if ch == "a" else digits(rng, 1) for ch in pattern)
    numeric = "".join(str(int(ch, 36)) for ch in bban + country + "00")
    iban = f"{country}{98 - int(numeric) % 97:02d}{bban}"
    bic = rng.choice(_BANKS[locale.key]) + rng.choice(["", "", "XXX"])
    return iban, " ".join(iban[i : i + 4] for i in range(0, len(iban), 4)), bic


def registration(rng: random.Random, locale: Locale) -> str:
    """The company-register line of a legal footer."""
    key = locale.key
    if key == "de-DE":
        return f"{rng.choice(['Amtsgericht München', 'Amtsgericht Köln', 'Amtsgericht Hamburg', 'Registergericht Stuttgart'])} HRB {rng.randint(1000, 250000)}"
    if key == "de-AT":
        return f"FN {rng.randint(10000, 599999)}{rng.choice('abdghkmpsvx')} · {rng.choice(['HG Wien', 'LG Linz', 'LG Graz'])}"
    if key == "de-CH":
        return f"Handelsregister {rng.choice(['Zürich', 'Bern', 'Basel'])} CH-{digits(rng, 3)}.{digits(rng, 1)}.{digits(rng, 3)}.{digits(rng, 3)}-{digits(rng, 1)}"
    if key == "fr-FR":
        siren = digits(rng, 9)
        return f"RCS {rng.choice(['Paris', 'Lyon', 'Nantes', 'Lille'])} {siren[:3]} {siren[3:6]} {siren[6:]} · SIRET {siren}{digits(rng, 5)} · APE {digits(rng, 4)}{letters(rng, 1)}"
    if key in ("fr-BE", "nl-BE"):
        return f"{'RPM' if key == 'fr-BE' else 'RPR'} {rng.choice(['Bruxelles', 'Gent', 'Antwerpen', 'Liège'])}"
    if key == "nl-NL":
        return f"KvK {digits(rng, 8)}"
    if key == "it-IT":
        return f"REA {rng.choice(['MI', 'RM', 'TO', 'BO'])}-{rng.randint(100000, 2999999)} · Cap. soc. € {rng.choice(['10.000', '50.000', '120.000'])},00 i.v."
    if key == "es-ES":
        return f"Inscrita en el Registro Mercantil de {rng.choice(['Madrid', 'Barcelona', 'Valencia'])}, Tomo {rng.randint(1000, 40000)}, Folio {rng.randint(1, 220)}"
    if key in ("en-GB", "en-IE"):
        return f"Registered in {'England and Wales' if key == 'en-GB' else 'Ireland'} No. {digits(rng, 8 if key == 'en-GB' else 6)}"
    return f"EIN {digits(rng, 2)}-{digits(rng, 7)}"


# -- names and addresses -------------------------------------------------------------------

_COMPANY = {
    "en": (
        [
            "Greyfield",
            "Larkspur",
            "Copperbeech",
            "Highmoor",
            "Stonebridge",
            "Fairhaven",
            "Brightwater",
            "Marlowe",
            "Thistle",
            "Windrush",
            "Ironbark",
            "Meadowgate",
        ],
        [
            "Analytics",
            "Joinery",
            "Freight",
            "Media",
            "Facilities",
            "Office Supply",
            "Labs",
            "Studio",
            "Hydraulics",
            "Components",
            "Design",
            "Instruments",
        ],
    ),
    "fr": (
        ["Ateliers", "Établissements", "Maison", "Société", "Groupe", "Laboratoires", "Bureau", "Comptoir"],
        ["Bernard", "Lambert", "Perrin", "Mercier", "Blanchard", "Garnier", "Faure", "Roussel", "Delmas", "Vidal"],
    ),
    "de": (
        ["Brandt", "Vogel", "Keller", "Lorenz", "Hartmann", "Seidel", "Winkler", "Albrecht", "Sommer", "Kraus"],
        [
            "Maschinenbau",
            "Bürotechnik",
            "Spedition",
            "Medienhaus",
            "Systemhaus",
            "Kältetechnik",
            "Holzbau",
            "Verpackung",
            "Messtechnik",
            "Gebäudeservice",
        ],
    ),
    "nl": (
        ["Van Dijk", "De Vries", "Bakker", "Visser", "Smit", "Meijer", "Mulder", "De Graaf", "Jansen", "Bos"],
        ["Techniek", "Installatie", "Transport", "Advies", "Bouw", "Drukwerk", "Automatisering", "Groothandel"],
    ),
    "it": (
        ["Rossi", "Bianchi", "Ferrari", "Esposito", "Colombo", "Ricci", "Marino", "Greco", "Bruno", "Galli"],
        ["Impianti", "Forniture", "Trasporti", "Consulenze", "Arredamenti", "Meccanica", "Servizi", "Tipografia"],
    ),
    "es": (
        ["García", "Martínez", "López", "Sánchez", "Romero", "Navarro", "Torres", "Ruiz", "Ortega", "Molina"],
        ["Instalaciones", "Suministros", "Transportes", "Asesores", "Construcciones", "Informática", "Gráficas"],
    ),
}
_FORMS = {
    "en-GB": ["Ltd", "Limited", "LLP", "PLC"], "en-IE": ["Ltd", "DAC", "Limited"], "en-US": ["Inc.", "LLC", "Corp."],
    "fr-FR": ["SARL", "SAS", "SA", "EURL"], "fr-BE": ["SRL", "SA", "SPRL"], "de-DE": ["GmbH", "AG", "KG", "GmbH & Co. KG"],
    "de-AT": ["GmbH", "AG", "OG"], "de-CH": ["AG", "GmbH"], "nl-NL": ["B.V.", "N.V.", "V.O.F."], "nl-BE": ["BV", "NV"],
    "it-IT": ["S.r.l.", "S.p.A.", "S.n.c."], "es-ES": ["S.L.", "S.A.", "S.L.U."],
}  # fmt: skip
_SECTOR_COMPANY = {  # utilities, telecoms and insurers, per language
    "utility": {
        "en": ["Riverside Energy", "Northgate Water", "Lumen Power", "Clearstream Utilities"],
        "fr": ["Énergies de l'Ouest", "Eaux du Val", "Lumière Électricité", "Gaz et Services du Rhône"],
        "de": ["Stadtwerke Lindenau", "Energieversorgung Nordtal", "Wasserwerke Seeburg", "Lichtstrom Energie"],
        "nl": ["Energie Noord", "Waterbedrijf Delta", "Stroomwerk Energie", "Gasunie Regio"],
        "it": ["Energia Lombarda", "Acque del Po", "Luce e Gas Adriatico", "Servizi Idrici Toscani"],
        "es": ["Energía del Norte", "Aguas de Levante", "Luz y Gas Ibérica", "Eléctrica Mediterránea"],
    },
    "telecom": {
        "en": ["Skyline Mobile", "Fibrelink Broadband", "Connectra Telecom", "Beacon Networks"],
        "fr": ["Onde Mobile", "Fibre Horizon", "Télécom Azur", "Réseau Plus"],
        "de": ["Funknetz Mobil", "Glasfaser Süd", "Telekommunikation Rheinland", "Netzwelt Kommunikation"],
        "nl": ["Golf Mobiel", "Glasvezel Nederland", "Telecom Lage Landen", "Verbind Netwerken"],
        "it": ["Onda Mobile", "Fibra Italia", "Telecomunicazioni Alpine", "Rete Più"],
        "es": ["Onda Móvil", "Fibra Peninsular", "Telecomunicaciones Sur", "Red Total"],
    },
    "insurance": {
        "en": ["Sterling Mutual Insurance", "Harbourside Assurance", "Keystone General Insurance"],
        "fr": ["Mutuelle du Littoral", "Assurances Prévoyance Alpine", "Garantie Générale"],
        "de": ["Rheinische Versicherung", "Hanseatische Sachversicherung", "Alpenland Versicherungsverein"],
        "nl": ["Polder Verzekeringen", "Zekerheid Schadeverzekering", "Delta Assuradeuren"],
        "it": ["Assicurazioni Tirrenica", "Previdenza Alpina", "Mutua Assicuratrice Emiliana"],
        "es": ["Seguros Atlántico", "Mutua Castellana de Seguros", "Previsión Mediterránea"],
    },
}
_SHOPS = {
    "en": ["Corner Café", "Greenleaf Grocers", "Hardware Depot", "The Book Nook", "Station Bakery"],
    "fr": ["Café du Marché", "Boulangerie des Halles", "Quincaillerie Centrale", "Librairie du Port", "Épicerie Fine"],
    "de": ["Bäckerei am Markt", "Baumarkt Sonne", "Café Lindengarten", "Buchhandlung Seitenweise", "Getränke Quelle"],
    "nl": ["Bakkerij Het Hoekje", "Bouwmarkt Centrum", "Koffiehuis De Molen", "Boekhandel Bladzijde"],
    "it": ["Bar Centrale", "Panificio del Borgo", "Ferramenta Moderna", "Libreria del Corso"],
    "es": ["Cafetería La Plaza", "Panadería San Juan", "Ferretería Central", "Librería del Puerto"],
}
_PEOPLE = {
    "en": (["James", "Sarah", "Oliver", "Emma", "Daniel", "Grace", "Michael", "Hannah"],
           ["Turner", "Hughes", "Walsh", "Bennett", "Carter", "Reid", "Morgan", "Foster"]),
    "fr": (["Camille", "Julien", "Claire", "Antoine", "Élodie", "Nicolas", "Sophie", "Mathieu"],
           ["Leroy", "Bonnet", "Dupuis", "Lemaire", "Marchand", "Caron", "Renard", "Picard"]),
    "de": (["Lukas", "Anna", "Jonas", "Laura", "Felix", "Miriam", "Tobias", "Katrin"],
           ["Neumann", "Schwarz", "Zimmer", "Krause", "Böhm", "Frank", "Haas", "Ludwig"]),
    "nl": (["Daan", "Sanne", "Bram", "Lotte", "Joris", "Femke", "Thijs", "Eva"],
           ["de Boer", "Peters", "Hendriks", "van Leeuwen", "Dekker", "Vermeulen", "Kok", "Brouwer"]),
    "it": (["Luca", "Giulia", "Marco", "Chiara", "Andrea", "Francesca", "Matteo", "Sara"],
           ["Conti", "De Luca", "Mancini", "Lombardi", "Moretti", "Barbieri", "Fontana", "Santoro"]),
    "es": (["Javier", "Lucía", "Pablo", "Marta", "Sergio", "Elena", "Diego", "Carmen"],
           ["Jiménez", "Moreno", "Álvarez", "Gómez", "Díaz", "Vázquez", "Castro", "Ramos"]),
}  # fmt: skip
_STREETS = {
    "en-GB": (["Queen Street", "Victoria Road", "Kings Parade", "Orchard Way", "Canal Wharf"],
              ["Birmingham B1 1AA", "Glasgow G2 4JR", "Cardiff CF10 1EP", "Norwich NR2 1NE", "York YO1 7HH"]),
    "en-IE": (["Dame Street", "Patrick Street", "Shop Street", "O'Connell Street"],
              ["Dublin 2, D02 X285", "Cork T12 RT8X", "Galway H91 YR6F", "Limerick V94 K7Y2"]),
    "en-US": (["Maple Avenue", "Commerce Street", "Lake Shore Drive", "Pine Street", "Broadway"],
              ["Columbus, OH 43215", "Seattle, WA 98101", "Boston, MA 02108", "Atlanta, GA 30303", "Phoenix, AZ 85004"]),
    "fr-FR": (["rue Victor Hugo", "avenue de la République", "rue Nationale", "quai des Chartrons", "allée des Tilleuls"],
              ["13001 Marseille", "67000 Strasbourg", "59000 Lille", "35000 Rennes", "06000 Nice"]),
    "fr-BE": (["rue Royale", "avenue Louise", "chaussée de Liège", "rue Neuve"],
              ["1000 Bruxelles", "4000 Liège", "5000 Namur", "6000 Charleroi"]),
    "de-DE": (["Schillerstraße", "Goethestraße", "Am Hafen", "Kirchplatz", "Mozartweg"],
              ["04109 Leipzig", "28195 Bremen", "90402 Nürnberg", "01067 Dresden", "30159 Hannover"]),
    "de-AT": (["Mariahilfer Straße", "Landstraße", "Herrengasse", "Hauptplatz"],
              ["1060 Wien", "4020 Linz", "8010 Graz", "5020 Salzburg"]),
    "de-CH": (["Limmatquai", "Marktgasse", "Rheinweg", "Bundesplatz"],
              ["8004 Zürich", "3000 Bern", "9000 St. Gallen", "1200 Genève"]),
    "nl-NL": (["Keizersgracht", "Stationsplein", "Dorpsstraat", "Kerkstraat", "Hoofdweg"],
              ["1016 DK Amsterdam", "3011 AD Rotterdam", "3511 LX Utrecht", "5611 AB Eindhoven", "9711 LV Groningen"]),
    "nl-BE": (["Meir", "Veldstraat", "Grote Markt", "Stationsstraat"],
              ["2000 Antwerpen", "9000 Gent", "3000 Leuven", "8000 Brugge"]),
    "it-IT": (["Via Roma", "Corso Italia", "Via Garibaldi", "Piazza Duomo", "Via Mazzini"],
              ["20121 Milano", "00184 Roma", "10121 Torino", "40121 Bologna", "50123 Firenze"]),
    "es-ES": (["Calle Mayor", "Avenida de la Constitución", "Gran Vía", "Paseo de Gracia", "Calle Real"],
              ["28013 Madrid", "08007 Barcelona", "46002 Valencia", "41004 Sevilla", "48001 Bilbao"]),
}  # fmt: skip


SOLE_TRADERS = 0.25
"""Share of businesses named without a legal form: sole traders and partnerships trading under a
name ("Greyfield Joinery"), as small suppliers and buyers often are."""


def company(rng: random.Random, locale: Locale, avoid: tuple[str, ...] = ()) -> str:
    """A company name whose first word differs from those of the names in avoid."""
    first, second = _COMPANY[locale.language]
    taken = {name.split()[0] for name in avoid}
    while True:
        name = f"{rng.choice(first)} {rng.choice(second)} {rng.choice(_FORMS[locale.key])}"
        if name.split()[0] not in taken:
            return " ".join(name.split()[:2]) if rng.random() < SOLE_TRADERS else name


_WATER_WORDS = ("water", "eaux", "wasser", "acque", "idric", "aguas")


def sector_company(rng: random.Random, locale: Locale, sector: str, water: bool = False) -> str:
    """A utility, telecom or insurer; a utility's name says water only when it supplies water."""
    names = _SECTOR_COMPANY[sector][locale.language]
    if sector == "utility":
        names = [n for n in names if any(x in n.lower() for x in _WATER_WORDS) == water] or names
    return f"{rng.choice(names)} {rng.choice(_FORMS[locale.key])}"


def shop(rng: random.Random, locale: Locale) -> tuple[str, str]:
    """(trade name on the receipt, legal name)."""
    trade = rng.choice(_SHOPS[locale.language])
    owner = rng.choice(_PEOPLE[locale.language][1])
    return trade, f"{trade} {owner} {rng.choice(_FORMS[locale.key])}" if rng.random() < 0.5 else trade


def person(rng: random.Random, locale: Locale) -> str:
    first, last = _PEOPLE[locale.language]
    return f"{rng.choice(first)} {rng.choice(last)}"


def address(rng: random.Random, locale: Locale) -> list[str]:
    streets, cities = _STREETS[locale.key]
    n = rng.randint(1, 220)
    street = rng.choice(streets)
    if locale.language in ("en", "fr"):
        line = f"{n} {street}" if locale.language == "en" or rng.random() < 0.8 else f"{n}, {street}"
    elif locale.language == "it":
        line = f"{street}, {n}"
    elif locale.language == "es":
        line = f"{street}, {n}" + (f", {rng.randint(1, 6)}º" if rng.random() < 0.4 else "")
    else:
        line = f"{street} {n}"
    out = [line, rng.choice(cities)]
    if rng.random() < 0.25:
        out.append(
            {"GB": "United Kingdom", "IE": "Ireland", "US": "USA", "FR": "France", "BE": "Belgique" if locale.language == "fr" else "België",
             "DE": "Deutschland", "AT": "Österreich", "CH": "Schweiz", "NL": "Nederland", "IT": "Italia", "ES": "España"}[locale.key[-2:]]
        )  # fmt: skip
    return out


def phone(rng: random.Random, locale: Locale) -> str:
    prefix = {"GB": "+44 20", "IE": "+353 1", "US": "+1 555", "FR": "+33 1", "BE": "+32 2", "DE": "+49 89", "AT": "+43 1",
              "CH": "+41 44", "NL": "+31 20", "IT": "+39 02", "ES": "+34 91"}[locale.key[-2:]]  # fmt: skip
    return f"{prefix} {digits(rng, 3)} {digits(rng, 4)}"


def ascii_fold(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def web(name: str) -> tuple[str, str]:
    """(website, e-mail) derived from a company name."""
    words_ = ascii_fold(name).lower().split(" ")
    slug = "".join(ch for ch in words_[0] if ch.isalnum() and ch.isascii()) or "info"
    second = "".join(ch for ch in (words_ + ["co"])[1] if ch.isalnum() and ch.isascii())[:8]
    return f"www.{slug}{second}.com", f"billing@{slug}{second}.com"


def round_cent(value: Decimal) -> Decimal:
    return value.quantize(CENT, ROUND_HALF_UP)
