"""The complaint detector's cue lexicon: what people write when reality fell short, and what they write when it didn't.

Each cue is (family, weight, pattern). Weights are log-odds nudges set by hand from how strongly the phrase
implies a let-down; they were not fitted to any data. Patterns are matched against lower-cased text with curly
apostrophes straightened; a space in a pattern means "any run of whitespace" (look-behinds, which need a fixed
width, write `\\s` instead); every cue must start and end on a word edge. Where two cues could match at the same
place, the one listed first wins, so specific phrases ("thanks for nothing", "no problems") come before the general
words they contain ("thanks", "problems").
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Family:
    name: str
    cap: float  # most the family adds to the log-odds (absolute value), however many of its cues fire
    counter: bool = False  # evidence against a complaint
    prefix: str = ""  # shown before the matched words in the cue explanation


@dataclass(frozen=True)
class Cue:
    family: str
    weight: float
    pattern: str


FAMILIES: dict[str, Family] = {f.name: f for f in (
    Family("failure", 3.0),
    Family("waiting", 3.0),
    # how long something has gone on: a complaint's detail ("down for 3 days"), but as often a review's ("after a
    # month with it, I love it"), so it is a family of its own and never by itself a stated failure
    Family("duration", 0.7, prefix="how long: "),
    Family("money", 2.6),
    Family("repeat", 1.8),
    Family("churn", 2.4),
    Family("verdict", 2.6),
    Family("feeling", 1.6),
    Family("demand", 1.8),
    Family("problem", 1.4),
    Family("negated praise", 2.4, prefix="negated praise: "),
    Family("failure question", 1.8, prefix="failure question: "),
    Family("sarcasm", 2.4, prefix="sarcasm: "),
    Family("intensity", 0.8, prefix="intensity: "),
    Family("context", 0.4, prefix="about: "),
    Family("praise", 2.4, counter=True, prefix="praise: "),
    Family("resolved", 2.6, counter=True, prefix="resolved: "),
    Family("question", 1.0, counter=True, prefix="plain question: "),
    Family("joke", 0.8, counter=True, prefix="joke: "),
    Family("news", 1.6, counter=True, prefix="news/commentary: "),
    Family("guide", 1.4, counter=True, prefix="how-to: "),
    Family("promo", 2.2, counter=True, prefix="promo: "),
    Family("brand reply", 2.4, counter=True, prefix="brand's own reply: "),
    Family("self-blame", 2.0, counter=True, prefix="self-blame: "),
)}

# The writer speaks of themselves or to someone: not a cue, a gate for how much negative sentiment counts.
VOICE = r"\b(?:i|i'm|im|i've|i'd|i'll|me|my|mine|we|we're|we've|our|us|you|your|you're|ur|u)\b"

# Negated auxiliaries, with and without the apostrophe ("doesn't", "doesnt", "does not").
NT = r"(?:n'?t| not)"
CANT = r"(?:can'?t|cannot|can not|couldn'?t|could not|unable to|not able to)"
WONT = r"(?:won'?t|will not|wouldn'?t|would not)"
NUM = r"(?:\d+|an?|one|two|three|four|five|six|seven|eight|nine|ten|twelve|several|many|few|couple of)"

# Things a customer owns, books or deals with; negative feelings about them are about a product or service.
THING = (r"(?:order|orders|package|parcel|delivery|item|items|purchase|product|flight|bag|bags|luggage|suitcase"
         r"|seat|booking|reservation|ticket|tickets|account|app|phone|laptop|device|tv|router|modem|internet"
         r"|wifi|wi-fi|broadband|connection|bill|invoice|payment|card|subscription|refund|car|vehicle|service"
         r"|battery|screen|update|food|meal|drink|coffee|store|shop|branch|staff|driver|train|bus|customer service"
         r"|support|agent|claim|case|complaint|email|contract|plan|data|password|login|warranty|repair"
         r"|replacement|engineer|technician|appointment|prescription|insurance|policy|loan|statement|balance"
         r"|courier|shipment|tracking|money|points|voucher|gift card|website|site|software|printer|console"
         r"|game|server|membership|room|hotel|stay|rental|charger|headphones|shoes|jacket|dress|size)")

CUES: tuple[Cue, ...] = (
    # --- sarcasm first: it hides inside praise words ---
    Cue("sarcasm", 2.4, r"thanks? (?:you )?(?:a lot |so much |again |very much )?for (?:nothing|the (?:delay|delays"
                        r"|wait|inconvenience|disappointment)|(?:not|never) (?:responding|replying|helping|answering"
                        r"|getting back|fixing|telling)|(?:ruining|cancell?ing|losing|overcharging|wasting|ignoring"
                        r"|making me wait)\w*)"),
    Cue("sarcasm", 1.6, r"(?:thanks?|thank you|thx)(?: @\w+)? (?:so much |a lot "
                        r"|again )?for(?= [^.!?]{0,60}\b(?:nothing|ripped|broken|wrong|late|delay\w*|cancel\w*|lost"
                        r"|losing|charg\w*|never|not|no|nobody|ruin\w*|wast\w*|ignor\w*)\b)"),
    Cue("sarcasm", 2.0, r"(?:great|good|nice|awesome|amazing|fantastic|brilliant|excellent|wonderful|stellar) (?:job"
                        r"|work|service|stuff|going|one)(?=[^.]{0,60}(?:\bnot\b|#not|/s\b|🙄|😒))"),
    Cue("sarcasm", 1.8, r"(?:love|loving|just love|gotta love|got to love|enjoy|appreciate) (?:it )?(?:when|how"
                        r"|that)(?= [^.!?]{0,80}\b(?:cancel\w*|delay\w*|lost|lose|losing|charg\w*|crash\w*|break\w*"
                        r"|broke|broken|wait\w*|late|never|not|no|don'?t|doesn'?t|didn'?t|won'?t|can'?t|still"
                        r"|ignor\w*)\b)"),
    Cue("sarcasm", 1.4, r"#not|/s|yeah right|said no one ever|said nobody ever|because that makes sense|oh great"
                        r"|oh joy|oh good|just great|how lovely|so glad i (?:paid|waited|chose|spent|bought)"),

    # --- resolved and "no problem" before the problem words they contain ---
    Cue("resolved", 2.2, r"(?:no|not a|not any|without any|without a|never had a|never had any|never had) (?:problem"
                         r"|problems|issue|issues|worries|trouble|complaints?)"),
    Cue("resolved", 2.2, r"(?:(?:it's|it is|is|all|now|everything's|everything is) (?:all )?(?:good|sorted|fixed"
                         r"|resolved|working) now|(?:works|working|fixed|sorted|resolved|solved) (?:right )?now"
                         r"|(?:seems|appears) to be working|working again|all sorted|all good now|(?:problem|issue"
                         r"|it|that|this|everything) (?:is |has been |was |got )?(?:now )?(?:sorted|fixed|resolved"
                         r"|solved)(?: now)?(?:,? thank| !|!|\.|$)|(?:that|it|this) worked|never ?mind|nvm"
                         r"|ignore (?:that|my last)|(?:found|got) it(?: now| sorted| working| fixed|,? thank)|(?:got"
                         r"|received|arrived) (?:it )?(?:now|today|this morning)?,? thanks?|(?:they|he|she|you"
                         r"|support|which|who|team) (?:\w+ )?(?:sorted|fixed|resolved|solved|replaced"
                         r"|refunded) (?:it|this|that|the|my|everything))"),
    Cue("failure", 2.0, r"(?:not|no longer) (?:even |really |properly |always |being )?(?:allowed|connecting|loading"
                        r"|charging|responding|syncing|powering on|powering up|booting|working properly"
                        r"|working correctly|updating|opening|printing|sending|starting|turning on|going through"
                        r"|showing up|functioning|allowing|letting|accepting|honou?ring|processing|recogni[sz]ing)"),

    # --- negated praise: a good word with a "not" in front ---
    Cue("negated praise", 1.8, r"(?:not|isn'?t|wasn'?t|aren'?t|weren'?t|never|hardly|far from|no longer"
                               r"|not yet)(?: very| at all| exactly| too| so| really| particularly| that| even"
                               r"| fully| been)? (?:happy|impressed|satisfied|pleased|good enough|good|great|helpful"
                               r"|okay|ok|fair|acceptable|amused|working|worked|reliable|fixed|resolved|delivered"
                               r"|received|recieved|arrived|refunded|responsive|available|professional|right|correct"
                               r"|helped|sorted|what i (?:ordered|paid for|expected|asked for))"),

    # --- waiting, silence, being passed around ---
    Cue("waiting", 2.2, r"still (?:waiting|haven'?t|hasn'?t|have not|has not|not|no|nothing|can'?t|cannot|unable"
                        r"|don'?t|doesn'?t|didn'?t|isn'?t|aren'?t|wasn'?t|won'?t|broken|charging|being charged"
                        r"|getting|having|showing|stuck|pending|unresolved|down|on hold|waiting)"),
    Cue("waiting", 2.0, r"(?:been|was|were|am|are|keep|kept|i'm|we're|i've been|we've been) waiting"),
    Cue("waiting", 1.2, rf"waited|waiting (?:for|on) (?:over|more than|almost|nearly|{NUM}|my|our|weeks|days|hours"
                        r"|months)"),
    Cue("waiting", 2.2, rf"(?:on hold|holding) (?:for )?(?:over |more than |almost |nearly )?{NUM}|(?:hours?|mins?"
                        r"|minutes?) on (?:hold|the phone)|(?:hung|hang|hanging) up on (?:me|us)|(?:put|kept"
                        r"|left) (?:me|us) on hold|on hold again"),
    Cue("waiting", 1.6, r"on hold"),
    Cue("waiting", 1.8, r"(?:no|zero|without a|without any|not a single|not one|never got a|never had a) (?:response"
                        r"|reply|replies|answer|answers|update|updates|communication|contact|callback|call back"
                        r"|acknowledge?ment|explanation|apology|help|support|resolution|word|email|call)"),
    Cue("waiting", 1.8, r"never (?:replied|responded|answered|called back|got back|rang back|wrote back|came"
                        r"|showed up)"),
    Cue("waiting", 1.4, r"(?:nobody|no one|noone|no-one) (?:has|have|had|is|was|will|would|ever|bothered|cares"
                        r"|answers|answered|responds|responded|replies|replied|called|calls|returned|got|gets|seems"
                        r"|picks|picked|came|showed)"),
    Cue("waiting", 2.0, r"(?:haven'?t|have not|hasn'?t|has not|didn'?t|did not|never|not|still not|yet to) (?:yet "
                        r"|even |ever )?(?:received?|recieved?|heard back)"),
    Cue("waiting", 2.0, r"(?:haven'?t|have not|hasn'?t|has not|didn'?t|did not|never|not) (?:yet |even "
                        r"|ever )?(?:heard|received|recieved|got|gotten|had) (?:back|anything|any|a|an|my|our|the|it"
                        r"|from|word|confirmation|email|call|reply|response|refund|update)"),
    Cue("waiting", 2.2, r"(?:hasn'?t|has not|haven'?t|have not|didn'?t|did not|never|still not|not yet) (?:arrived"
                        r"|come|came|turned up|shown up|showed up|been (?:delivered|shipped|dispatched|sent"
                        r"|processed|refunded|fixed|resolved|credited|returned|answered|contacted|updated))"),
    Cue("waiting", 1.4, r"(?:doing|did|done|does|do|got|get|received|heard|offered|offer) (?:absolutely )?nothing"
                        r"|nothing (?:has been|was|has|is being) (?:done|happening|happened|sorted)"),
    Cue("waiting", 1.2, rf"(?:wait|waiting|queue|hold) times?|{NUM} (?:\+ )?(?:min|minute|hour|hr|day|week)s? (?:wait"
                        r"|queue)"),
    Cue("waiting", 2.0, r"yet to (?:receive|hear|get|be|see|arrive)"),
    Cue("waiting", 1.4, r"(?:took|taking|takes|taken|take) (?:forever|ages|so long|too long|this long|way too long)"),
    Cue("waiting", 1.6, r"ignor(?:ed|ing)|left on read|radio silence|ghost(?:ed|ing)|(?:been|keep|kept|keeps|being"
                        r"|get|got) (?:passed|pushed|transferred|bounced|fobbed) (?:around|from|off)|(?:chasing"
                        r"|chased) (?:this|it|up|you|them|for)|(?:call|line|chat) (?:got |keeps |was )?(?:dropped"
                        r"|disconnected|cut off)"),
    Cue("duration", 0.7, r"(?:for|over|after|nearly|almost|than|past|last|been|it'?s been) (?:\d+|an?|two|three|four"
                        r"|five|six|seven|eight|nine|ten|several|many|few) (?:\+ )?(?:more )?(?:hours?|hrs|days?"
                        r"|weeks?|wks|months?)|(?:days|weeks|months) (?:later|now)"),

    # --- money ---
    Cue("money", 2.2, r"(?:double|twice|triple) charged|charg(?:ed|ing|e) (?:me |us )?(?:twice|double|two times"
                      r"|three times|again|extra|for something|for an?|without|even though)|over ?charg\w*"
                      r"|over ?bill\w*|hidden (?:fees?|charges?|costs?)|(?:unauthori[sz]ed|fraudulent|random|extra"
                      r"|unexpected|surprise|duplicate) (?:charges?|transactions?|payments?|fees?|debits?)"
                      r"|took (?:my|our) money"),
    Cue("money", 1.8, r"refund(?:s|ed|ing)?|money back|reimburs\w*|compensat\w*|charge ?-?back"),
    Cue("money", 1.4, r"rip ?-?off|ripped off|ripping (?:\w+ )?off|scam(?:s|med|mers?)?|daylight robbery|fraud"),
    Cue("money", 0.8, r"(?:i|we|already|just) paid|paid (?:for|extra|good money)|paying for"),
    Cue("money", 1.0, r"(?:raise|raised|raising|put|putting|bump|bumped|hike|hiked|increase|increased|double"
                      r"|doubled) (?:up )?(?:the |your |their |our |my )?(?:prices?|fees?|bills?|rates?|premiums?)"),
    Cue("money", 1.0, r"(?:pay|paying|charge|charging|charged) extra|extra charge"),
    Cue("money", 1.0, r"price (?:hike|increase|rise|gouging)|overpriced|extortionate|too expensive"),

    # --- it does not work / was not as it should be ---
    Cue("failure", 2.2, rf"(?:does|did|do|is|was|are|were|has|have|had){NT} (?:even |ever |actually |always |really "
                        r"|seem to |appear to |seem to be |appear to be )?(?:work|working|load|loading|open|opening"
                        r"|connect|connecting|charge|charging|sync|syncing|install|update|respond|responding|turn on"
                        r"|start|boot|play|print|arrive|arrived|show up|showed up|exist|accept|recogni[sz]e|send"
                        r"|go through|went through|fit|match|last|close)"),
    Cue("failure", 2.2, rf"{WONT} (?:even |ever |actually )?(?:work|load|open|connect|charge|sync|install|update"
                        r"|respond|turn on|start|boot|play|print|let me|let us|allow me|accept|recogni[sz]e|send"
                        r"|go through|stop|fit|refund|honou?r|help|replace|fix|deliver)"),
    Cue("failure", 1.8, rf"{CANT} (?:even |ever |actually )?(?:log ?in|login|sign ?in|access|connect|get (?:through"
                        r"|into|in|hold|a hold|anyone|a response|an answer|a refund|my)|reach|use|open|download|find"
                        r"|cancel|return|track|pay|order|book|check ?in|watch|stream|make|send|receive)"),
    Cue("failure", 2.2, r"(?:stopped|stop|stops) (?:working|responding|charging|loading|syncing|connecting"
                        r"|turning on|printing|updating|sending|receiving)|keeps? (?:crashing|freezing|dropping"
                        r"|failing|disconnecting|cutting out|logging me out|restarting|rebooting|breaking|buffering)"
                        r"|never (?:worked|works|arrived|came|showed up|turned up)|broke down|breaks down"
                        r"|broken down"),
    Cue("failure", 1.4, r"crash(?:es|ed|ing)?|freez(?:es|ing)|froze|glitch(?:es|y|ing)?|bug(?:s|gy)?|error(?:s)?"
                        r"|outage|outages|broken(?! heart)|faulty|defective|damaged|malfunction\w*|unusable"
                        r"|unresponsive|corrupt(?:ed)?|hacked|locked out|stuck on|stuck at|stranded|overbooked"),
    Cue("failure", 2.0, r"(?:servers?|site|website|app|system|network|service|internet|wifi|broadband|power"
                        r"|phone lines?|lines?|page|portal|checkout) (?:is|are|was|were|has been|have been|went|goes"
                        r"|keeps going|seems) (?:all |still |completely )?(?:down|offline|broken|not working)"),
    Cue("failure", 1.6, r"(?:was|were|it) (?:working|fine|ok|okay|working fine|working perfectly|working ok) (?:last"
                        r"|yesterday|before|until|earlier|this morning|a (?:week|day|month) ago)|used to work"),

    # "it broke" is a failure; "I broke my arm" and "I'm broke" are not
    Cue("failure", 1.4, r"(?<!i\s)(?<!we\s)(?<!he\s)(?<!she\s)(?<!you\s)(?<!they\s)"
                        r"(?<!i'm\s)(?<!so\s)(?<!am\s)(?<!be\s)broke"),
    Cue("failure", 1.5, r"delays?|delayed|cancell?ed|(?:running|arrived|arrive|is|was|were|hours?|hrs|mins?|minutes?"
                        r"|days?|always|again) late|\d+ ?(?:h|hr|hrs|hours?|m|mins?|minutes?|days?) (?:late|delay"
                        r"|delayed)|late again|(?:is|are|was|went|goes|been|keeps going|going) down|down again"
                        r"|missed (?:my|our|the) (?:connection|flight|train|bus)"),
    Cue("failure", 1.6, r"(?:no|zero|lost|losing|weak|poor|terrible|slow|intermittent|patchy|spotty"
                        r"|dropped) (?:\w+ )?(?:signal|service|internet|wifi|wi-fi|broadband|connection|reception"
                        r"|power|coverage|speeds?|network|calls)"),
    Cue("failure", 2.0, r"(?:lost|misplaced|lose|losing) (?:my|our|the) (?:bag|bags|luggage|suitcase|package|parcel"
                        r"|order|data|account|files|photos|booking|reservation|money|stuff)"),
    Cue("failure", 1.8, r"wrong (?:order|item|size|colou?r|address|product|parcel|package|food|meal|bill|charge"
                        r"|amount|information|info|one)|(?:missing|lost) (?:item|items|parts?|pieces?|order|package"
                        r"|parcel|from my)|(?:was|were|is|are) missing|(?:sent|given|gave|delivered) (?:me "
                        r"|us )?the wrong"),
    Cue("failure", 1.6, r"(?:cold|stale|raw|undercooked|burnt|expired|mou?ldy|soggy|inedible|rotten) (?:food|fries"
                        r"|chips|burger|meal|pizza|coffee|bread|milk|chicken|sandwich|order)|food poisoning|(?:hair"
                        r"|insect|plastic|glass|a bug) in my|(?:smells?|tastes?|smelled|smelt|tasted) (?:so |really "
                        r"|very |absolutely )?(?:bad|awful|terrible|disgusting|horrible|off|weird|funny|gross"
                        r"|like (?:shit|crap))"),
    Cue("failure", 2.0, r"(?:rude|unhelpful|incompetent|clueless|useless|ignorant|lazy|condescending|arrogant"
                        r"|aggressive) (?:staff|employee|employees|agent|agents|rep|reps|representative|driver"
                        r"|drivers|manager|cashier|person|lady|guy|woman|man|crew|attendant|attendants"
                        r"|customer service|support|team|people|service)"),
    Cue("failure", 1.4, r"(?:fell|falling|came|coming|ripped|ripping|torn|tore|peeling|shredded|shredding|cracked"
                        r"|cracking|snapped|leaking|leaks) (?:apart|off|open|out)|(?:cracked|shattered|dead|died"
                        r"|dying|overheating|draining) (?:screen|battery|phone)|(?:battery|screen|phone|charger"
                        r"|device) (?:is |has |just |keeps )?(?:dead|died|dying|cracked|overheating|draining|drains"
                        r"|drain|dies)"),
    Cue("failure", 1.2, r"(?:is|are|was|were|been|keeps? being|got|getting|get) (?:declined|rejected|blocked"
                        r"|suspended|banned|frozen|deleted|overcharged|ignored|delayed|lost|stranded|cut off"
                        r"|disconnected)"),
    Cue("failure", 1.0, r"ripped|torn|stained|scratched|dented|leaking|leaky|chipped|cracked|shattered|smashed"
                        r"|crushed"),
    Cue("failure", 1.2, rf"{CANT}(?! (?:wait|stop|get enough|help|thank|imagine|live without|believe|even|tell|say"
                        r"|decide|remember|sleep|breathe|think|understand|complain|fault|agree|deny|argue|disagree"
                        r"|hate|resist|describe|express|explain how)\b)"),
    Cue("feeling", 0.0, r"disappointed (?:in|with) (?:myself|ourselves|yourself)"),
    Cue("failure", 1.4, r"(?:hasn'?t|has not|haven'?t|have not) (?:been |even |yet )?\w+ed"),
    Cue("failure", 1.6, r"(?:fail|fails|failed|failing) to (?:work|load|open|connect|sync|arrive|deliver|show|charge"
                        r"|update|install|start|respond|send|process|refund|honou?r|turn up|show up|ship)"),
    Cue("failure", 1.6, r"(?:keeps |kept )?(?:dropping|drops|dropped|losing|loses|lost) (?:the |my "
                        r"|our )?(?:connection|calls?|signal|wifi|internet)|(?:pushed|put) back (?:again|\w+ times)"
                        r"|postponed again|nowhere to be (?:found|seen)|(?:says|shows|marked|marked as|showing"
                        r"|shows as) (?:as )?delivered but|no (?:fix|solution|resolution) (?:yet|in sight)"),
    Cue("failure", 1.2, r"no longer (?:can|able|works?|available|possible|valid|supported|get|receive)"),
    Cue("failure", 0.8, r"stuck|(?:don'?t|do not|doesn'?t|does not|can'?t|cannot) see (?:the|my|any|it|a|an|our)"),
    Cue("failure", 1.4, r"(?:has |have |had |just |all )?(?:disappeared|vanished|gone missing)|not seeing"),
    Cue("failure", 0.6, r"out of stock|sold out|unavailable"),

    # --- the same thing again ---
    Cue("repeat", 1.5, r"for the (?:second|third|fourth|fifth|sixth|2nd|3rd|4th|5th|6th|\d+th|umpteenth|nth"
                       r"|\w+ consecutive) time|(?:third|fourth|fifth|3rd|4th|5th|umpteenth|nth) time"),
    Cue("repeat", 1.2, r"yet again|once again|again and again|over and over|(?:same|this) (?:thing|issue"
                       r"|problem) again|happened again|happening again|again\?+|again!+|again\.\.\."),
    Cue("repeat", 1.2, r"(?:second|third|fourth|fifth|2nd|3rd|4th|5th|another) (?:\w+ )?(?:visit|call|email|attempt"
                       r"|engineer|technician|replacement|complaint|delivery attempt)"),
    Cue("repeat", 1.2, r"every ?(?:single )?time|how many (?:more )?times|(?:multiple|several|numerous|countless"
                       r"|repeated|two|three|four|five|six|seven|eight|nine|ten|\d+) (?:times|calls|emails|attempts"
                       r"|occasions|complaints|requests|messages|tweets|chats)"),
    Cue("repeat", 1.0, r"(?:keep|keeps|kept) (?:getting|being|having|telling|saying|asking|sending|happening"
                       r"|charging|cancell?ing|changing|losing)"),
    Cue("repeat", 1.6, r"(?:always|constantly|continually|consistently|never) (?:late|delayed|broken|down|crashing"
                       r"|wrong|out of|cancell?ing|rude|failing|losing|slow|on time|answer|respond|reply|work)"),

    # --- leaving, warning others ---
    Cue("churn", 1.6, r"(?:losing|lost|lose) (?:all )?(?:my |our )?(?:trust|faith|patience|confidence)"),
    Cue("churn", 1.0, r"(?:been|am|was|a) (?:a )?(?:loyal |long-?time |long-?standing )?customer (?:for|since)"),
    Cue("churn", 2.0, r"never (?:again|buying|using|flying|shopping|ordering|booking|recommending|returning"
                      r"|going back)"),
    Cue("churn", 1.6, r"(?:cancel|cancell?ing|close|closing|terminate|terminating|leave|leaving|quit|quitting) (?:my"
                      r"|our) (?:account|subscription|order|contract|membership|plan|service|policy|booking|sub)"),
    Cue("churn", 2.0, r"(?:switching|moving|going|changing|switch|move|change) (?:over )?to (?:another|a different"
                      r"|a competitor|someone else)|taking my (?:business|money|custom) elsewhere|(?:lost"
                      r"|losing) (?:a|another|my|your|a loyal) (?:customer|business|custom)|(?:last|final) time (?:i"
                      r"|we) (?:use|buy|fly|order|shop|book)|(?:won'?t|will never|never|not|wouldn'?t|would not"
                      r"|don'?t|do not|cannot|can'?t) (?:be )?(?:recommend\w*|returning|coming back|going back"
                      r"|using (?:you|your|this|them) again|be back|buying (?:from )?(?:you|this|them|again)|(?:buy"
                      r"|order|book|fly|shop) (?:here |there |with you |from (?:you|them) )?again)"
                      r"|avoid at all costs|stay away from"),

    # --- verdicts and feelings of dissatisfaction ---
    Cue("verdict", 2.0, r"(?:poor|bad|terrible|awful|horrible|shocking|appalling|lousy|crap|crappy|shit|shitty|worst"
                        r"|disgraceful|non-?existent|zero|pathetic|useless|abysmal|atrocious|unacceptable"
                        r"|rubbish) (?:\w+ )?(?:services?|support|experience|quality|communication|management|care"
                        r"|help|response|packaging|delivery|company|product|app|airline|website|system)"),
    Cue("verdict", 1.8, r"what (?:kind|type|sort) of (?:\w+ )?(?:service|support|company|business|airline|shop"
                        r"|store) (?:is this|is that|do you)|how (?:is|'s) (?:that|this) (?:fair|acceptable|ok|okay"
                        r"|right|legal|possible|good service|customer service)|how (?:can|could|dare) (?:you"
                        r"|they) (?:allow|let|do|charge|call|be so|treat|sell|get away)|discriminat\w*"),
    Cue("verdict", 1.6, r"shouldn'?t (?:have|need) to|should not (?:have|need) to"),
    Cue("verdict", 2.0, r"(?:not|nothing like|nowhere near|isn'?t|wasn'?t|aren'?t|weren'?t|far from|never) (?:as "
                        r"|the |what (?:was |is )?|what's )?(?:\w+ ){0,2}(?:advertised|described|pictured|promised"
                        r"|shown|stated)|(?:is|was) this how you treat|how you treat (?:your )?(?:loyal )?customers"
                        r"|used to be (?:good|great|better|free|included|reliable)|(?:used to|no longer) (?:come"
                        r"|comes) (?:in|with)"),
    Cue("verdict", 2.0, r"waste of (?:money|time|space)|wasted (?:my|our|\d+|an?|hours|days|time|money)"
                        r"|what a (?:joke|shambles|mess|disgrace|rip)|not good enough|not acceptable|not okay|not ok"
                        r"|do better"),
    Cue("verdict", 1.6, r"(?:should|could) (?:have|'ve) been|(?:expected|expect|expecting) (?:better|more)"
                        r"|should (?:have|'ve) (?:received|arrived|got|gotten|had|come)|(?:was|were) promised|(?:was"
                        r"|were) supposed to|(?:supposed|meant) to (?:have (?:been|arrived|had)|arrive|receive|work"
                        r"|last)|(?:promised|told|assured) (?:me|us)|false advertising|misleading|mis-?sold|lied"
                        r"|lying|disappoint\w*|let down|letdown"),
    Cue("feeling", 1.0, r"worst|terrible|horrible|horrendous|awful|appalling|atrocious|abysmal|dreadful|disgusting"
                        r"|disgraceful|disgrace|shocking|pathetic|useless|unacceptable|ridiculous|outrageous"
                        r"|shambles|shambolic|rubbish|garbage|crap|crappy|suck|sucks|sucked|sucky|lousy"
                        r"|unprofessional|incompetent|inept|joke|laughable|nightmare|fiasco|disaster"),
    Cue("feeling", 1.2, r"unimpressed|stinks|stupid\w*|dumb|unreliable|boo|pissed|worse than|getting worse"
                        r"|even worse|frustrat\w*|annoy\w*|infuriat\w*|furious|livid|fuming|irritat\w*|fed up"
                        r"|sick (?:and tired )?of|tired of|had enough|unhappy|dissatisfied|unsatisfied|displeased"
                        r"|not impressed|not amused"),
    Cue("feeling", 1.2, r"#(?:\w*fail\w*|\w*sucks|not ?happy|unhappy|disappointed|never ?again|frustrated|annoyed"
                        r"|(?:bad|poor|terrible|awful|worst|crap|shit|zero)(?:customer)?(?:service|support"
                        r"|experience)|sort ?it ?out|rip ?off|scam\w*|boycott\w*|shame\w*)"),

    # praise then "but": the complaint usually follows the courtesy
    Cue("feeling", 0.6, r"(?:love|loved|like|liked|enjoy|enjoyed)(?: \w+){0,4},? but"),
    Cue("feeling", 1.0, r"(?:can'?t|cannot) believe|unbelievable|seriously\?+|really\?+|are you (?:kidding|serious"
                        r"|joking)|(?:have|got) to be kidding|is this a joke|come on|wtf|what the (?:hell|heck|fuck"
                        r"|f)|smh|ugh+|fml|#fail|epic fail|🙄|😒|😡|😤|🤬|👎|😠"),

    # --- asking a brand why something failed ---
    Cue("failure question", 1.8, r"where (?:is|are|'s|the hell is|tf is|on earth is) (?:my|our)"
                                 r"|what happened to (?:my|our)"),
    Cue("failure question", 1.8, r"why (?:(?:\w+ )?(?:isn'?t|aren'?t|doesn'?t|didn'?t|don'?t|can'?t|cannot|won'?t"
                                 r"|wont|hasn'?t|haven'?t|wasn'?t|weren'?t|wouldn'?t|not|never)|(?:is|are|does|do"
                                 r"|did|has|have|was|were|would|can'?t) (?:my|our|your|ur|it|this))"),
    Cue("failure question", 1.2, r"why (?:is|isn'?t|are|aren'?t|does|doesn'?t|did|didn'?t|do|don'?t|can'?t|cannot"
                                 r"|can i not|won'?t|wont|has|hasn'?t|have|haven'?t|was|wasn'?t|were|would|wouldn'?t"
                                 r"|the hell|on earth|tf|my|the|your|am i|must|should|would)"),
    Cue("failure question", 1.4, r"when (?:will|is|are|can|do|does|am|are) (?:my|our|i (?:get|receive|be able|hear)"
                                 r"|we (?:get|receive|be able|hear)|(?:this|it) (?:be fixed|get fixed|be resolved"
                                 r"|be back|arrive)|you (?:fix|sort|resolve|respond|reply|get back|be back|refund"
                                 r"|answer|deliver|send|going))"),
    Cue("failure question", 1.2, r"how come|what(?:'s| is) (?:up )?with|what(?:'s| is) (?:going on|happening"
                                 r"|the (?:deal|problem|issue|hold ?up|delay))|is there (?:a|an|any) (?:problem"
                                 r"|issue|outage|fault|reason)|(?:is|are) (?:your|the) (?:site|website|app|system"
                                 r"|servers?|service|network|line|phone lines) (?:down|broken|not)|how (?:long"
                                 r"|much longer|hard|difficult|many (?:more )?(?:times|days|weeks|hours)) (?:is|does"
                                 r"|do|will|can|should|must|has|have|am|are|until)|(?:is|are) (?:anyone|anybody"
                                 r"|someone|somebody) (?:going to|ever|actually|even)|(?:can|could|will) (?:someone"
                                 r"|anyone|somebody|anybody) (?:please )?(?:help|explain|fix|sort|respond|reply"
                                 r"|tell me why)"),

    # --- asking for the thing to be put right ---
    Cue("demand", 1.6, r"(?:fix|sort|resolve|rectify) (?:this|it|your|my|the issue|the problem|this mess|yourselves)"
                       r"|sort (?:it|this) out|step up|get (?:it|your act) together|get (?:this|it) (?:sorted|fixed)"
                       r"|(?:want|need|demand|deserve|expect|expecting|still no) (?:a |an |my |some )?(?:refund"
                       r"|apology|answers?|explanation|compensation|replacement|response|callback|call back"
                       r"|resolution)|need (?:a )?(?:solution|fix|resolution)|(?:get|have) (?:it|this|them"
                       r"|that) (?:cleaned|fixed|sorted|replaced|repaired|looked at|resolved)|(?:speak|talk) to (?:a"
                       r"|your) (?:manager|supervisor)|escalat\w*|(?:file|filing|make|making|lodge|lodging|raise"
                       r"|raising) (?:a |an )?(?:formal )?complaint|complain\w*"),
    Cue("demand", 0.8, r"do something|(?:please|pls|plz) (?:help|fix|sort|respond|reply|get back|look into|call"
                       r"|advise|assist)|need (?:help|assistance|this sorted|this fixed)|urgent(?:ly)?|asap"),

    # --- a problem, said plainly ---
    Cue("problem", 1.2, r"(?:having|have|had|got|experiencing|facing|there'?s|there is|there are|another"
                        r"|ongoing) (?:\w+ ){0,2}(?:issue|issues|problem|problems|trouble|difficulties|difficulty"
                        r"|fault)|(?:issue|issues|problem|problems|trouble) (?:with|since|again)|same (?:issue"
                        r"|problem)"),
    Cue("problem", 0.8, r"issue|issues|problem|problems|trouble|fault|(?:found|find|is there|any|need) a (?:fix"
                        r"|solution|workaround)"),

    # --- what it is about: the writer's own order, account, flight... ---
    # only the possessive is consumed, so "my money back" still reaches the money cue
    Cue("context", 0.2, rf"(?:my|our|your|ur)(?= {THING}\b)"),

    # --- counter-cues: praise and thanks ---
    Cue("praise", 1.6, r"(?:love|loved|loving|adore) (?:you|it|this|my|the|your|these|them|that)|(?:great|excellent"
                       r"|amazing|awesome|fantastic|brilliant|outstanding|superb|wonderful|exceptional|top ?notch"
                       r"|impeccable|incredible|perfect|lovely|friendly|helpful|fast|quick|speedy|smooth|seamless"
                       r"|good) (?:customer )?(?:service|job|work|experience|staff|team|support|help|people|crew"
                       r"|delivery|response|food|product|quality|flight|ride)|well done|kudos|shout ?-?out|props to"
                       r"|hats off|keep (?:it up|up the good work)|(?:highly|would|definitely|totally) recommend"
                       r"|best (?:service|experience|ever|in the)|(?:so|very|really|super) (?:happy|pleased"
                       r"|impressed|satisfied|grateful|helpful|excited)|made my day|you (?:guys )?rock|can'?t wait"),
    Cue("praise", 1.2, r"thank(?:s| you)|thx|cheers|appreciate\w*|grateful|gratitude|❤️|❤|😍|🥰|😊|🙌|👏|💯|👍|🎉"),

    # --- counter-cues: a plain question, a joke, news, a promotion ---
    Cue("question", 1.0, r"(?:do|does|can|could|will|would|is|are|may|should|how|what|where|which|who) (?:you|i|we|u"
                         r"|your|they|there|the|this|it|anyone|anybody)(?=[^?.!]{0,120}\?)"),
    Cue("joke", 0.8, r"lol|lmao|lmfao|rofl|haha\w*|hehe\w*|jk|😂|🤣|😆|😹|😜|😝"),
    Cue("news", 0.8, r"breaking|reportedly|according to|announc\w*|launch(?:es|ed)|unveil\w*|acquisition|merger"
                     r"|earnings|revenue|quarterly|shares|stock|analysts?|press release|headlines?|study finds"
                     r"|survey|lawsuit|sued|recalls?|investors?|billion|million|percent|report(?:s|ed)?|regulators?"
                     r"|fined|fines|spokes(?:person|man|woman)|the company said|said in a statement"),
    Cue("guide", 1.4, r"step-by-step|step by step|tutorial|a (?:quick |short |complete )?guide|guide to|tips (?:for"
                      r"|to|on)|how to (?:fix|solve|repair|troubleshoot|reset|get rid of|avoid)"),
    Cue("promo", 1.5, r"giveaway|sweepstakes|#ad|#sponsored|#promo\w*|promo code|discount code|use code|enter to win"
                      r"|chance to win|just entered|i entered|win (?:a|an|the|free)|free shipping|sign up|subscribe"
                      r"|follow us|link in bio|check (?:it|this) out|check out (?:our|my|the new)|new (?:video|post"
                      r"|blog|episode|collection)|now available|available now|#win|rt to|retweet to|on sale|% off"),

    # --- the writer blames themselves, or says it worked out ---
    Cue("self-blame", 2.0, r"(?:my|our) (?:own )?fault|my bad|my mistake|user error|i forgot to|i overslept|(?:never"
                           r"|haven'?t|have not|didn'?t) looked back"),

    # --- a support agent answering, not a customer complaining ---
    Cue("brand reply", 2.4, r"(?:so |very |really )?sorry to (?:hear|see|read|learn)|(?:we'?re|we are|we're very"
                            r"|we are very) sorry|we (?:sincerely )?apologi[sz]e|apologi[sz]e for (?:the"
                            r"|any) inconvenience|(?:please )?(?:send|drop) us (?:a |an )?(?:dm|direct message"
                            r"|private message|pm|email)|dm us|reach out to us|we'?d (?:like|love"
                            r"|be happy) to (?:help|look into)|(?:happy|glad) to help|our team (?:will|can|is)"
                            r"|we'?ll (?:look into|get back|pass (?:this|that|it) on)|follow us (?:so|and) we can"),
)
