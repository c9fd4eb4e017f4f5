"""Draws the es, fr and ru codename word lists from word frequencies and spelling dictionaries (run once, by hand).

Not part of Gatehouse: it needs `pip install wordfreq simplemma` and Debian's hunspell-es, hunspell-fr and
hunspell-ru. Candidates are the most frequent words of each language, in the form a dictionary lists (simplemma's
lemma), that its spelling dictionary holds in lower case (so no name of a person or place), 4 to 8 letters (Spanish
and French 9, Russian 10), in the list's own alphabet; words of the stop lists (pronouns, prepositions and the
like) and of the avoid lists (violence, illness, crime, the state's force, religion, sex, insults, names) are left
out. A word is taken only if its first four letters, folded as crypto.wordlist.fold folds them, begin no word
already taken in any list, English included: so each typed prefix names one word of one list. The lists take their
words in turn, most frequent first, and each keeps its 2,048 sorted.

    python scripts/make_codename_lists.py crypto/wordlists
"""

from __future__ import annotations

import re
import sys
import unicodedata
from pathlib import Path

import simplemma  # type: ignore[import-not-found]
from wordfreq import top_n_list  # type: ignore[import-not-found]

SIZE = 2048
PREFIX = 4
HUNSPELL = Path("/usr/share/hunspell")

ALPHABET = {
    "es": re.compile(r"[a-záéíóúüñ]{4,9}"),
    "fr": re.compile(r"[a-zàâçéèêëîïôûùüÿ]{4,9}"),
    "ru": re.compile(r"[а-яё]{4,10}"),
}
VOWELS = re.compile(r"[aeiouyаеиоуыэюя]")
DICTIONARY = {"es": "es_ES", "fr": "fr_FR", "ru": "ru_RU"}

STOP = {
    "es": """ante bajo cabe como con contra cual cuales cuando cuanto desde donde durante entre hacia hasta
    mediante para pero porque pues que quien sino sobre tras aunque mientras según segun esta este esto
    estos estas esos esas ese eso aquel aquella ello ella ellas ellos nosotros vosotros usted ustedes
    mismo misma mucho mucha muchos muy nada nadie algo alguien alguno alguna ninguno ninguna otro otra
    otros otras todo toda todos todas tanto tanta cada casi solo sólo también tampoco siempre nunca
    ahora aquí allí ahí luego antes después entonces todavía ya haber hay había habia sido estar tener
    hacer poder deber serán será sería pueda puede tiene eres somos sean cierto cierta demás demasiado
    bastante menos más mejor peor tal tales varios varias suyo suya tuyo tuya mío nuestro nuestra
    vuestro vuestra cuyo cuya dónde cómo cuándo qué quién además incluso apenas mediante salvo bueno
    vale hola okey tipo cosa cosas etc""",
    "fr": """avec dans pour sans sous chez vers entre contre depuis pendant avant après selon malgré parmi mais
    donc puis quand comme lorsque puisque quoique alors ainsi aussi encore toujours jamais déjà très
    trop beaucoup peu moins plus tout toute tous toutes rien personne chose quelque chacun autre autres
    même mêmes cela ceci celui celle ceux celles leur leurs notre votre nous vous elle elles être avoir
    faire""",
    "ru": """если когда чтобы этот эта это эти того тому тогда тоже также только очень даже уже ещё еще себя свой
    своя свое своё свои может можно нужно надо есть быть было была были будет будут который которая
    которое которые какой какая какое какие такой такая такое такие этого этой этом этим всего всех всем
    весь вся всё все сама само сами меня тебя него неё нее него ними нами вами кто что чем потому
    поэтому почему здесь сейчас теперь потом после перед через между около среди вместо кроме ради возле
    вокруг хотя однако пусть либо нибудь где куда откуда зачем ничто никто ничего никого много мало
    более менее самый самая самое самые весьма просто вообще вдруг ведь разве лишь именно сколько
    столько иногда всегда никогда снова опять вместе отсюда оттуда""",
}

# Stems a person at risk should not carry on paper, and words any list should spare everyone: each avoids the
# words it begins, or (under four letters) only itself.
AVOID = {
    "es": """sindic americ autis epilep invas lésbic lesbic peronis sionis síndr sindr alevos adonis mirza
    ideolog alzheimer anastasia arzobisp asqueros británic britanic embosc espiona eutanasi exorcis
    expulsi extorsi finland georgian hepatit homofob hondureñ hondure ideologí ideologi izquierd jesuit
    judaísm judaism laicism libio macedon mexica misioner moribund monarquí monarqui nepotism nigerian
    obituari oposici pakistan peronism sacerdot sionist soviétic sovietic ucranian uterino xenofob
    sexism sindicat erecto hazla darla tiberio infractor enjuiciar coalici hegemon derecha comunis
    capitalis socialis fascis nacional clítor clitor erecci libido sodom pipí pipi puñeter puneter
    chingón chingon cholo maruja misógin misogin sexist sida marxis opresor carlist pervers deform
    embolia necrosis difteri tifus quiste autism mazmorr incendi evasi ofender diócesis diocesis diácono
    diacono liturgi eclesi vicari laico budism kurdo bosnio étnic etnic african francés frances italian
    japonés japones haitian libanés libanes serbio mongol alcohol vodka coñac conac fumador hazle darlo
    serte napoleón napoleon maxwell weber tesla pascal julian irigoyen negrete mancera lady aron milano
    leonés leones riojan gaditan tucuman habaner luso greco chabón chabon coito tetona vagina vulva
    lesbian topless sexy pajero ojete ostia lujuria putear cuca chulo chusma chueca sádico sadico lencer
    pezón pezon útero utero ovario morra sicario homicid munici misil bayonet gatillo culata daga navaja
    tanque paliza patada bofetad asalt asedio invasi ofensiv sedici dictad opresi oprim opositor marxist
    masón mason oligarc yanqui mestiz hispan etnia árabe arabe armeni asiátic asiatic belga chilen
    croata danés danes griego hebreo holand húngar hungar irland mexican norueg panameñ perua rumano
    saudí saudi suizo uruguay tibetan etíop etiop mapuche quechua azteca aleluya budist misa sinagog
    satan plegari nuncio cofradí cofradi sagrari ateo monje carla henry gilbert jane leila mauro rafa
    quique romeo galileo nerón neron dante sansón sanson jeremí jeremi sabino pamela atocha bejaran
    oribe yale morir morgue féretro feretro funeral luto leucemi linfoma lepra cirros psicosis lupus
    tumor dengue anemia neumoní neumoni asfixi ahogad enano inepto cobarde grosero malvad gago cojo
    manco dadme darle darme darnos daros darse denle dile hazlo irme irnos iros irse serle únete unete
    delos avda coord daca dizque ende ergo ídem idem aquél aquel cuál cuánto cuanto porqué porque adonde
    doquier cuasi tipa crack frey gray grey guacho guaira luca tata tito nene baba birra hampa fraude
    hurto robar rapto rufián rufian huelga tribunal juzgado fiscal diputado gobern gobierno dimisi
    cédula cedula aduana minorí minori migrante emigrar expulsar exiliad soberan monarca vasallo siervo
    esclav ilícito ilicito ebrio cigarro fumar opio morfina dopaje nafta droga cagar mear pedo puto
    verga chingar pendej jodid culero mamón mamon arma bala bomb muer mort mata asesin sangr guerr viol
    torturr tortur cárcel carcel prisi presi polic ejérc ejerc milit soldad terror droga cocaí coca
    marihu sexo sexu puta culo mierd cabr pend enferm cánc canc cadáv cadav suicid crim delit robo ladr
    secuest dios igles relig santo bibli diab infier biblia racis hazte irte boludo rifle difam repudi
    bruj sargent extint nuclear sueco sueca royo dilo dejo fray beato gonorr imbéc imbec burdel feto
    golpis fugitiv sobor afgan doncell chupar gral denme serlo chido egoís egois mierda cojon coño cono
    follar joder polla zorra marica maric negrat sudac indígen indigen rehén rehen preso verdug horca
    fusila desapar exili refugi frontera pasaport visado asilo embaja desnud orgía orgia sífil sifil
    fecal ladill maldit babos tuert deteni rebeld anarq seces sepulc ataúd ataud dpto srta raza ruso
    rusa checo hindú hindu alavés alaves búlgar bulgar egipc choto chivo judí judi musulm cristi católi
    catoli islám evangel obisp papa cura monja ateí atei iraní irani iraquí siri cuban venezol chino
    china gitan indio moro mocos vómit vomit orina heces nalga senos pecho desnu erót erot porn amante
    pecad infiel aborto molotov caca cianur israel buda mesías mesias boricu hazme elle basada nato pito
    troy gamboa duart cicer bolív boliv lozan benit llosa negro gordo feo fea estúp idiot tont loco loca
    pene teta nazi fasc comun herid disp fusil pistol cuchill veneno odio viud borrach golpe ejecu
    condena acusa culpa juicio denunc espía espia secret clave traid enemig ataq invad masacr""",
    "fr": """monast monarq auvergn burund dictat exorcis extors gaullis hégémon hegemon idéolog ideolog israél
    israel marxis monarch xénoph xenoph sacerdo sépulc sepulc geisha coalit ayatollah fellation pédophil
    pedophil virginit ménopaus menopaus dissident dictatur mutiner embusc damnation cimetière cimetiere
    sépultur sepultur nécropol necropol hécatomb hecatomb épuration epuration gaulliste marxiste
    orthodox synagogu israélien israelien ukrainien américain americain brésilien bresilien burkinabé
    burkinabe chypriote irlandais londonien maghrébin maghrebin norvégien norvegien québécois quebecois
    taïwanais taiwanais uruguayen zélandais zelandais orléanais orleanais asiatique aphrodite alexandra
    balthazar hyacinthe madeleine micheline autiste invalide lèpre lepre méningite meningite paludisme
    épilepsie epilepsie harceleur sécession secession reddition armistice plutonium cigarette tabagisme
    communis capitalis socialis fascis nationalis bimbo chiasse clodo ecstasy eunuque hentai hymen
    lesbien vulve utérus uterus téton teton queer maso napalm munition katana culasse soviet sionism
    mufti hadith jésuite jesuite kippa copte judas invasion tribunal expuls émigr emigr fisc fraude
    lépreux lepreux leucémie leucemie lupus lymphome cirrhose tétanos tetanos ulcère ulcere migraine
    syndrome morgue linceul illettr borgne albanais béarnais bearnais brestois cheyenne chilien croate
    finnois ghanéen ghaneen guyanais inuit kazakh khmer mexicain népalais nepalais occitan péruvien
    peruvien sicilien slovène slovene tibétain tibetain wolof yéménite yemenite maure adonis bayle didot
    gille larsen lisette melchior stokes untel lolo tata baba kali mahdi abruti anus clitoris érection
    erection érotism erotism orgie libido sperme viagra zizi négro negro gitan bigot catho emmerd
    dégénér degener imbécil imbecil naze racaille truand voyou pervers misogyn sexist lynch putsch
    goulag führer fuhrer kamikaze sniper taser obus roquette braquage criminel inculp flic taule évasion
    evasion gang yakuza drone hijab niqab sionist talmud évangil evangil judaïsm judaism jésus jesus
    kurde tutsi berbère berbere kabyle touareg sida syphilis herpès herpes hépatit hepatit choléra
    cholera cyanure morphine opium shit weed beuh dope défonce defonce mourant mutilé mutile deuil
    tumeur sclérose sclerose embolie autisme cécité cecite muet nain isabelle joseph julien jules martin
    louis léonard leonard pascal florence virginie diane doris sylvain eustache benjamin camus besson
    chabot dalton macron molière moliere voltaire napoléon napoleon tarzan merlin guignol tesla weber
    maxwell hunter oxford milan pékin pekin padoue elbeuf bastille lorette lori lulu jojo toto titi bibi
    dodo doudou baby girl king queen lady loser like live spider skin slim slow soul punch smoking sexy
    business hacker geek hipster black fritz chinois japonais nippon mongol afghan africain irakien
    iranien libanais libyen syrien qatari tunisien togolais gabonais malgache nigérian nigerian haïtien
    haitien cubain texan thaï thai turc serbe slovaque slave tchèque tcheque suédois suedois italien
    français francais européen europeen germain grec gascon basque breton picard lorrain lillois
    lyonnais nantais parisien rennais ontarien iroquois sioux apache inca maya saxon sarrasin ottoman
    alsacien écossais ecossais égyptien egyptien géorgien georgien hongrois siamois vaudois lombard
    sudiste occident orient cheikh sultan pacha kaiser tsar khan harem abbé abbe curé cure évêque eveque
    vicaire diacre nonne moine pope diocèse diocese dîme dime liturgie psaume prière priere messe impie
    athée athee laïc laic mosquée mosquee évêché eveche hadj ivrogne cuite vodka cognac alcool tabac
    clope défaite sinistre suspect témoin temoin juré jury suffrage député depute délégué delegue
    syndicat trahison traque rafle saccage ravage incendie assaut punition sursis parjure butin armada
    frégate fregate tank bunker ogive arbalète arbalete dague cravache fouet gifle morsure connass
    couill enculé encule foutre nique branl chier baiser arme balle bombe mort meurtr tuer tueu assass
    sang guerr viol tortur prison polic armée armee milit soldat terror drog cocaï cannab sexe sexu pute
    putain merd connard salaud cul con bite malad cancer cadavr suicid crime délit delit vol voleur
    enlèv otage dieu églis eglis relig saint bibl diabl enfer racis nègre negre gros laid stupid idiot
    débil fou folle nazi fasc commun bless fusil pistol couteau poison haine veuv ivre coup exécut
    condamn accus coupab jenny lolita ricain émeut emeut amnist ethni gendarm gaulois belge bulgar fion
    fugitif chasse coca cégep cegep rousseau calypso djihad burqa conner homicid gynéc gynec sexism
    rwand maroc arabe bavar gueule baffe cinglé cingle bardot vichy madison baxter aubin nope self shoot
    shah carmel bavure dopage arsenal sabre armure épée epee glaive otage réfug refug exil frontière
    frontiere passeport visa asile ambassad burkini bush musulm chiit sunnit christ chrét saoud hétéro
    hetero homo gay sein kiki gogo colt arnaq imam roumain russe prussien sabbat body boss aurél aurel
    henry ramon nichon fesse pénis penis vagin orgasm porno nu nue amant adultèr avort capote vomi crach
    morve pédé pede gouin tarlouze salope bordel catin sodom tommy bock loulou vaudou boudd bombard
    défunt defunt viril viking esclav tyran vizir feeling enfoir caca coke chiott pisse pipi bouff
    procès proces dénonc espion secret traît trait ennemi attaq envah massacr jihad islam juif chrét""",
    "ru": """политолог рейд утечк обезьян навальн политбюро ленин восстан ополчен боеприпас вооружен отомст
    уничтож парламент референдум демократ патриот президиум республик делегац митропол священ монастыр
    рождеств американ британск китайск испанск индийск греческ алтайск кабардин московск уральск блондин
    депресс наплевать коммунис социалис капиталис либерал советск сталин путин ельцин горбач лукашенк
    белорусск росси ублюд фашизм гетто эмбарго трибунал патрул десант полигон немец нация одесск дрянь
    исповед крещен молитв вампир мандат сенат декрет султан королев княгин тьфу аллах аминь батальон
    взвод обстрел обыск приговор прокурор снайпер ядерн пушк штурм штаб захват рабств сволоч придур девк
    баба майдан кремл депутат сержант дивизи генерал могил кладбищ умере умира убива украсть угрожа
    заживо лишени запрет бунт опухол эпидеми диагноз допинг водка курить курени пиво алкогол маньяк
    позор ужас ярост сжечь разбить москвич росс турок ильин петров николь кларк наполеон феррари форд
    рено сбербанк фифа уайт хаус тверск донск невск чувак пацан национал взлом дыра срыв епископ
    патриарх икона храм молиться монах собор вера божий богин демон ангел рай грех кара пытать плен
    ранен рана кров пепел прах гроб похорон траур вдова сирота инвалид слеп глух немой урод толст жирн
    тупой дурн злой ложь обман украин польск японск немецк шведск финск римск английск англ турецк
    кавказ чеченск татарск арабск еврейск цыган шейх царь царица князь король трон импер империя воевода
    вождь губернатор министр премьер президент сенатор спикер чиновник политик партия фракция коалиция
    съезд выбор голосов оппозиц революц манифест лозунг митинг протест забастов полиция милиция охрана
    конвой тюрьм камера арест задерж допрос следств суд судить судья прокурат адвокат приказ указ закон
    кодекс налог штраф изъят конфиск обыскать стрелять взрыв бомб мина гранат танк ракет снаряд автомат
    пистолет винтовк ружье нож топор кинжал сабл меч лук атак нападен вторжен оккупац война бой битв
    сражен поединок враг противник предател шпион агент разведк секрет тайна слежк донос жертв заложник
    похищ убийц преступ бандит вор мошенн террор экстрем радикал сепарат бляд хуйн ебат ебан ебну пизд
    мудак залуп дроч трах оруж пуля бомб смерт убий убит мёртв мертв кров войн насил пытк тюрьм тюрем
    полиц милиц армия армей воен солдат террор нарко нарк секс шлюх дерьм жоп хуй пизд бля сука сучк еба
    ебл болезн рак труп самоуб преступ краж вор похищ залож бог церк религ свят библ дьявол черт ад
    расист негр жир урод тупой дура дурак идиот псих нацист фаш коммун ранен винтов пистол нож яд ненав
    вдов пьян удар казн осужд обвин вина суд донос шпион секрет предат враг атак вторж резня джихад
    ислам еврей христ путин власт президент выбор протест митинг оппозиц арест допрос банд гибел угроз
    фигн ведьм сбить турецк греко краев насмерть бить гвард войск генри вика судебн надзор минист импер
    орден государ бегств сорвать беглец беженц границ паспорт виза убежищ посольств допрос теракт взрыв
    оруди воева полк жертв гроб хрен тварь киев пермск джонат аллен мерсед соня конфликт борец битв бюст
    долой дель ежели вряд итак бой боец стрел пистол автомат граната танк ракет снаряд мина заложн побег
    тюрм зона лагер конвой охран мусульм христиан православ католи иудей мечет церков украин белорус
    русск чечен грузин татар еврей цыган негр жоп задн попа груд голый голая член секс любовн изнасил
    проститу аборт блев понос моча говно писать взорв изабел крым заговор боев фронт выкуп канцлер
    монстр зомби цезар генсек бобби гогол хоть нежели говн задниц""",
}


def fold(word: str) -> str:
    """As crypto.wordlist.fold: compatibility forms, case and accents forgiven (é == e, ё == е, й == и)."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", word).casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def dictionary_words(language: str) -> set[str]:
    """Words the dictionary holds in lower case and not also as a name; for French, nouns only (it marks them)."""
    words, names = set(), set()
    for line in (HUNSPELL / f"{DICTIONARY[language]}.dic").read_text("utf-8").splitlines()[1:]:
        stem = line.split("/")[0].split("\t")[0].split(" ")[0].strip()
        if language == "fr" and "po:nom" not in line:
            continue
        if stem and stem == stem.lower():
            words.add(stem)
        elif stem[:1].isupper():
            names.add(stem.lower())
    return words - names  # "rosa" goes with "Rosa": a word that is also a name may be read as one


def candidates(language: str) -> list[str]:
    known = dictionary_words(language)
    stop = set(STOP[language].split())
    avoid = tuple(fold(stem) for stem in AVOID[language].split() if len(stem) >= PREFIX)
    avoid_words = {fold(stem) for stem in AVOID[language].split() if len(stem) < PREFIX}
    seen, found = set(), []
    for word in top_n_list(language, 200_000):
        folded = fold(word)
        if word in seen or word in stop or not ALPHABET[language].fullmatch(word) or word not in known:
            continue
        if simplemma.lemmatize(word, lang=language) != word or not VOWELS.search(folded):
            continue  # an inflected form, or an abbreviation
        if folded.startswith(avoid) or folded in avoid_words:
            continue
        seen.add(word)
        found.append(word)
    return found


def draw(english: list[str]) -> dict[str, list[str]]:
    taken = {fold(word)[:PREFIX] for word in english}
    pools = {language: iter(candidates(language)) for language in ALPHABET}
    lists: dict[str, list[str]] = {language: [] for language in ALPHABET}
    while any(len(words) < SIZE for words in lists.values()):
        for language, pool in pools.items():
            if len(lists[language]) >= SIZE:
                continue
            for word in pool:
                if fold(word)[:PREFIX] not in taken:
                    taken.add(fold(word)[:PREFIX])
                    lists[language].append(word)
                    break
            else:
                raise SystemExit(f"{language}: only {len(lists[language])} words")
    return {language: sorted(words, key=lambda w: (fold(w), w)) for language, words in lists.items()}


def main(folder: str) -> None:
    out = Path(folder)
    english = (out / "codename-en.txt").read_text("utf-8").split()
    for language, words in draw(english).items():
        (out / f"codename-{language}.txt").write_text("\n".join(words) + "\n", "utf-8")
        print(language, len(words))


if __name__ == "__main__":
    main(sys.argv[1])
