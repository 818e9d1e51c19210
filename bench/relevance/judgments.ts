// The judged dev set: queries written for the demo catalog (data/sample-catalog) and the public-derived
// descriptions (../shared/data/adapter-descriptions, read at run time), graded 0–3 per adapter id
// (3 = what the query is for, 2 = would help, 1 = related; unlisted = 0). `traps` are near misses: adapters
// that share words or a neighbouring domain with the query but would not help (graded 0 on purpose).
// Every third query of each group (positions 3, 6, 9, …) is held out: it is reported separately and not
// looked at while tuning, so over-fitting to the dev part shows as a gap.

export type Group = 'intent' | 'exact' | 'near-miss' | 'multilingual'

export interface Judged {
  q: string
  group: Group
  lang?: 'es' | 'fr' | 'de'
  rel: Record<string, 1 | 2 | 3>
  traps?: string[]
  /** Written after the glossary and the ranking were frozen, and never tuned on: always held out. */
  fresh?: true
}

const WINE_PAIRING = { 'sommelier-wine-pairing': 3, 'corkgpt-pairings': 3, 'the-sommelier-selection': 3, 'wine-sommelier-v1': 3, 'wine-whisperer': 2, 'vino-virtuoso': 2, 'wine-shop-recommender': 2, 'wine-basics': 1 } as const
const SQL_TUNING = { 'sql-query-optimizer': 3, 'postgres-dba-assistant': 2, 'sql-sage': 1, 'sql-ninja': 1 } as const
const HOMEBREW = { 'beer-expert-homebrew': 3, 'brewing-beer-2023': 3, 'craftbeer-master': 2, 'craft-beer-styles': 2, 'brewery-quality-control': 1 } as const
const HOMEBREW_TRAPS = ['kombucha-fermentation', 'mead-and-cider-making', 'winemaking-cellar-practices', 'wine-basics', 'bartending-basics-v2']
const STRENGTH = { 'gym-workout-creator': 3, 'fitness-program-designer': 3, 'personal-trainer': 3, 'fitness-fuel-strength': 2, 'sports-nutritionist': 1 } as const
const COCKTAILS = { 'bartending-basics-v2': 3, 'cocktail-mixmaster': 3, 'actual-mixologist': 2, 'bargpt-mixology': 2, 'barbot-ai': 2, 'mixology-advanced': 2, 'mixology-flavor-profiles': 2, 'cocktail-techniques': 2, 'drink-mixing-pro': 2, 'text2drink': 2, 'the-mixologist-molecular': 1, 'cocktail-blogger-bot': 1, 'sin-city-sipper': 1, 'zero-proof-cocktails': 1 } as const
const UNIT_TESTS_JS = { 'unit-test-generator': 3, 'unit-test-wizard-js': 3, 'unit-tester-assistant': 2, 'test-case-gpt': 1, 'qa-tester': 1, 'property-based-testing': 1, 'mutation-testing-coach': 1 } as const
const DOG_TRAINING = { 'dog-training-coach': 3, 'pawsitive-dog-coach': 3, 'pet-behaviorist': 2 } as const
const CONTRACT_REVIEW = { 'contract-clause-reviewer': 3, 'legal-agreement-reviewer': 3, 'contract-assistant': 2, 'startup-tech-lawyer': 2, 'small-business-lawyer-na': 1, 'legal-advisor': 1 } as const
const TENANCY = { 'tenant-rights-advisor': 3, 'contract-clause-reviewer': 1, 'legal-agreement-reviewer': 1, 'contract-assistant': 1, 'plain-legal-explanations': 1, 'legal-advisor': 1 } as const
const K8S = { 'kubernetes-troubleshooter': 3, 'cloudgpt-k8s-linux': 2, 'devops-engineer': 1, 'devops-gpt': 1, 'observability-sre': 1 } as const
const COFFEE = { 'coffee-brew-buddy': 3, 'specialty-coffee-barista': 3, 'coffeegpt-third-wave': 2, 'coffee-sommelier': 2, 'coffee-roasting-profiles': 1 } as const
const PLANT_DOCTOR = { 'whats-wrong-with-my-plant': 3, 'plant-doctor-photo': 3, 'vegetable-garden-planner': 2, 'organic-vegetable-garden-helper': 2, 'plant-pathology-lab': 2, 'garden-guru': 1, 'green-thumb-guide': 1, 'integrated-pest-management': 1, 'pickle-thumb-gardening': 1 } as const
const TOXIC = { 'sni-task327-jigsaw-toxic': 3, 'sni-task333-hateeval-en': 3, 'roberta-hate-speech-dynabench': 3, 'sni-task108-abuse-detection': 2, 'sni-task322-jigsaw-threat': 2, 'sni-task334-hateeval-es': 2, 'twitter-spam-classifier': 1 } as const
const REVIEW_SENTIMENT = { 'sni-task475-yelp-polarity': 3, 'sni-task761-app-review': 3, 'sni-task284-imdb-sentiment': 2, 'lora-land-glue-sst2': 2, 'sni-task195-tweet-sentiment': 2, 'nlp-text-classification': 2, 'sni-task479-german-book-reviews': 2, 'sni-task482-french-book-reviews': 2, 'finbert-sentiment': 1, 'beto-spanish-sentiment': 1 } as const
const VINEYARD = { 'viticulture-expert-v3': 3, 'vineyard-irrigation-planner': 3, 'grape-disease-identifier': 2, 'terroir-and-site-selection': 2, 'agricultural-crop-optimization': 1 } as const
const VINEYARD_TRAPS = ['climbing-plants-guide', 'houseplant-vines-care', 'wine-shop-recommender', 'sommelier-wine-pairing', 'brewing-beer-2023']
const CLINICAL_SUMMARY = { 'clinical-notes-summarizer': 3, 'medical-summarization-t5': 3, 'openbiollm-8b': 1, 'biomistral-7b': 1 } as const

export const JUDGMENTS: Judged[] = [
  // ---- intent: a description of the need, in the user's words ----
  { group: 'intent', q: 'my promises never resolve and node prints unhandled rejection warnings', rel: { 'async-debugging-v2': 3, 'python-asyncio-tutor': 1, 'node-express-backend': 1, 'race-condition-expert': 1 } },
  { group: 'intent', q: 'speed up a slow postgres query that does a sequential scan', rel: SQL_TUNING },
  { group: 'intent', q: 'turn questions from business users into SQL over our warehouse', rel: { 'text-to-sql-analytics': 3, 'sqlcoder-7b-2': 3, 'natural-sql-7b': 3, 'nsql-llama2-7b': 3, 'ai2sql': 2, 'askyourdatabase-bi': 2, 'sni-task107-question-to-sql': 2, 'sni-task077-explanation-to-sql': 2, 'dbt-analytics-engineer': 1 } },
  { group: 'intent', q: 'pods keep restarting with CrashLoopBackOff after a deploy', rel: K8S },
  { group: 'intent', q: 'write tests for my JavaScript functions', rel: UNIT_TESTS_JS },
  { group: 'intent', q: 'recommend a wine to go with grilled salmon', rel: { ...WINE_PAIRING, 'mixologist-cuisine-harmony': 1 } },
  { group: 'intent', q: 'drink recipes for a home bar party', rel: COCKTAILS },
  { group: 'intent', q: 'why are the leaves of my tomato plants turning yellow', rel: PLANT_DOCTOR },
  { group: 'intent', q: 'explain what my blood test results mean', rel: { 'lab-doctor': 3, 'dr-nutritionist-bloodwork': 2, 'health-doctor-gp': 2, 'doctor-gpt-diagnosis': 1, 'patient-education-writer': 1 } },
  { group: 'intent', q: 'sort customer reviews into positive and negative', rel: REVIEW_SENTIMENT },
  { group: 'intent', q: 'find the people, companies and places mentioned in news text', rel: { 'sni-task610-conllpp-ner': 3, 'lora-land-conllpp': 3, 'uniner-7b': 2, 'triplex-knowledge-graph': 1 } },
  { group: 'intent', q: 'come up with a catchy headline for an article', rel: { 't5-headline-generator': 3, 'sni-task288-gigaword-title': 3, 'lora-land-tldr-headline': 3, 'sni-task418-persent-title': 2, 'lora-land-cnn': 1, 'press-release-writer': 1 } },
  { group: 'intent', q: 'my landlord will not return my deposit, what are my rights', rel: TENANCY },
  { group: 'intent', q: 'check a SaaS agreement for one-sided liability terms', rel: CONTRACT_REVIEW },
  { group: 'intent', q: 'learn to improvise jazz solos on guitar', rel: { 'jazz-improvisation-coach': 3, 'guitar-practice-coach': 2, 'chord-maestro-guitar': 2, 'acoustic-guitar-composer': 1, 'music-theory-tutor': 1, 'melody-mentor-theory': 1 } },
  { group: 'intent', q: 'a weekly gym routine to get stronger', rel: STRENGTH },
  { group: 'intent', q: 'make better pour-over coffee at home', rel: COFFEE },
  { group: 'intent', q: 'find injection bugs and broken access control in my web app code', rel: { 'secure-code-review': 3, 'cyber-security-specialist': 1, 'pentest-report-writer': 1, 'code-review-generalist': 1 } },
  { group: 'intent', q: 'make stable diffusion produce images in only a few sampling steps', rel: { 'lcm-lora-sdxl': 3, 'lcm-lora-sdv1-5': 3 } },
  { group: 'intent', q: 'copy a speaker\'s voice into another language from a short recording', rel: { 'xtts-v2-voice-clone': 3 } },
  { group: 'intent', q: 'practise for the speaking part of an English exam', rel: { 'ielts-speaking-tutor': 3, 'spoken-english-teacher': 2, 'english-pronunciation-tr': 1 } },
  { group: 'intent', q: 'pull medication names and doses out of prescriptions', rel: { 'posos-clinical-ner': 3, 'deberta-medical-ner': 2, 'biomedical-ner-all': 2, 'clinical-notes-summarizer': 1 } },
  { group: 'intent', q: 'moderate a forum by flagging hateful and abusive comments', rel: TOXIC },
  { group: 'intent', q: 'what can I grow in a hot dry desert yard', rel: { 'desert-gardening-zone9b': 3, 'native-plant-landscaping': 1, 'garden-guru': 1, 'vegetable-garden-planner': 1 } },
  { group: 'intent', q: 'write infrastructure as code for AWS', rel: { 'terraform-module-writer': 3, 'terraform-cloud-engineer': 3, 'aws-architect': 1, 'devops-engineer': 1 } },
  { group: 'intent', q: 'teach my puppy to stop pulling on the leash', rel: DOG_TRAINING },
  { group: 'intent', q: 'choose the rank and target modules when fine-tuning with PEFT', rel: { 'lora-finetuning-coach': 3, 'alpaca-lora-7b': 1, 'pytorch-training-loops': 1, 'stackllama-rl-peft': 1 } },
  { group: 'intent', q: 'solve grade-school math word problems step by step', rel: { 'lora-land-gsm8k': 3, 'wizardmath-7b': 3, 'math-teacher': 1, 'socratic-math-tutor': 1, 'sni-task090-equation-learner': 1 } },
  { group: 'intent', q: 'short summaries of market and stock news', rel: { 'financial-summarization-pegasus': 3, 'earnings-call-summarizer': 1, 'stock-market-analyst': 1, 'news-summarizer': 1 } },
  { group: 'intent', q: 'generate a minimalist logo image', rel: { 'flux-logo-design-lora': 3, 'svg-designer': 1, 'iconsmi-app-icons': 1 } },

  // ---- exact: a name, an id or a tag someone copied ----
  { group: 'exact', q: 'Race Condition Expert', rel: { 'race-condition-expert': 3 } },
  { group: 'exact', q: 'SQLCoder', rel: { 'sqlcoder-7b-2': 3 } },
  { group: 'exact', q: 'Tokio Async Rust', rel: { 'rust-async-tokio': 3 } },
  { group: 'exact', q: 'FinBERT', rel: { 'finbert-sentiment': 3 } },
  { group: 'exact', q: 'BioMistral-7B', rel: { 'biomistral-7b': 3 } },
  { group: 'exact', q: 'CorkGPT', rel: { 'corkgpt-pairings': 3 } },
  { group: 'exact', q: 'Borrow Checker Helper', rel: { 'rust-borrow-checker-helper': 3 } },
  { group: 'exact', q: 'Saul-7B-Instruct', rel: { 'saul-7b-legal': 3 } },
  { group: 'exact', q: 'LCM-LoRA SDXL', rel: { 'lcm-lora-sdxl': 3, 'lcm-lora-sdv1-5': 1 } },
  { group: 'exact', q: 'Jigsaw Toxic Comment Detector', rel: { 'sni-task327-jigsaw-toxic': 3, 'sni-task322-jigsaw-threat': 1 } },
  { group: 'exact', q: 'STRIDE', rel: { 'threat-modeling-stride': 3 } },
  { group: 'exact', q: 'CaseHOLD', rel: { 'sni-task268-casehold': 3 } },
  { group: 'exact', q: 'Dockerfile Optimizer', rel: { 'dockerfile-optimizer': 3, 'docker-tutor': 1 } },
  { group: 'exact', q: 'Triplex', rel: { 'triplex-knowledge-graph': 3 } },
  { group: 'exact', q: 'GoEmotions', rel: { 'roberta-go-emotions': 3 } },
  { group: 'exact', q: 'Godot GDScript Helper', rel: { 'godot-gdscript-helper': 3, 'godot-guru': 1 } },
  { group: 'exact', q: 'qtech-frost-protection', rel: { 'qtech-frost-protection': 3 } },
  { group: 'exact', q: 'predibase/gsm8k', rel: { 'lora-land-gsm8k': 3 } },
  { group: 'exact', q: 'Asyncio Tutor', rel: { 'python-asyncio-tutor': 3 } },
  { group: 'exact', q: 'mixology-advanced', rel: { 'mixology-advanced': 3 } },
  { group: 'exact', q: 'XTTS-v2', rel: { 'xtts-v2-voice-clone': 3 } },

  // ---- near-miss: needs whose neighbours share words but would not help ----
  { group: 'near-miss', q: 'a vineyard management assistant for grape growers', rel: VINEYARD, traps: VINEYARD_TRAPS },
  { group: 'near-miss', q: 'homebrew beer recipe and hop schedule', rel: HOMEBREW, traps: HOMEBREW_TRAPS },
  { group: 'near-miss', q: 'support bot that answers the customers of a Spanish online shop', rel: { 'customer-support-agent': 3, 'lora-land-customer-support': 3, 'support-ticket-triage': 2, 'sni-task573-air-dialogue': 1 }, traps: ['english-spanish-translator', 'sni-task530-europarl-en-es', 'sni-task171-en-es-questions', 'beto-spanish-sentiment', 'sni-task531-europarl-es-en'] },
  { group: 'near-miss', q: 'formulating a new sugar-free soda for a soft drink company', rel: { 'soft-drink-formulation': 3, 'soda-brand-marketing': 1, 'juice-and-smoothie-recipes': 1 }, traps: ['zero-proof-cocktails', 'kombucha-fermentation', 'bartending-basics-v2', 'craft-beer-styles', 'cocktail-mixmaster'] },
  { group: 'near-miss', q: 'caring for climbing roses and clematis on a trellis', rel: { 'climbing-plants-guide': 3, 'garden-guru': 1, 'green-thumb-guide': 1, 'houseplant-vines-care': 1 }, traps: ['viticulture-expert-v3', 'vineyard-irrigation-planner', 'grape-disease-identifier'] },
  { group: 'near-miss', q: 'which teas go with desserts in my tea shop', rel: { 'tea-sommelier': 3, 'gptea-advisor': 3, 'tea-taster': 2 }, traps: ['wine-sommelier-v1', 'sommelier-wine-pairing', 'coffee-sommelier', 'the-sommelier-selection'] },
  { group: 'near-miss', q: 'kombucha second fermentation and carbonation', rel: { 'kombucha-fermentation': 3, 'vegetable-lacto-fermentation': 1 }, traps: ['brewing-beer-2023', 'beer-expert-homebrew', 'soft-drink-formulation', 'fermentation-chemistry-v2'] },
  { group: 'near-miss', q: 'a tutor to learn French vocabulary with games', rel: { 'captain-french-fun': 3 }, traps: ['english-french-translator', 'legal-translation-fr-en', 'sni-task482-french-book-reviews', 'le-smart-devops-fr'] },
  { group: 'near-miss', q: 'translate legal contracts from French into English', rel: { 'legal-translation-fr-en': 3, 'english-french-translator': 2, 'academic-translator-en': 1 }, traps: ['captain-french-fun', 'contract-clause-reviewer', 'legal-agreement-reviewer'] },
  { group: 'near-miss', q: 'sentiment of Spanish tweets', rel: { 'beto-spanish-sentiment': 3, 'sni-task195-tweet-sentiment': 1 }, traps: ['english-spanish-translator', 'sni-task531-europarl-es-en', 'sni-task533-lang-id-en-es'] },
  { group: 'near-miss', q: 'triage for a sick cat that stopped eating', rel: { 'veterinary-triage-helper': 3, 'pet-nutrition-advisor': 1, 'pet-behaviorist': 1 }, traps: ['doctor-gpt-diagnosis', 'health-doctor-gp', 'emergency-first-aid'] },
  { group: 'near-miss', q: 'nutrition plan for a vegan marathon runner', rel: { 'sports-nutritionist': 3, 'nutritionist-vegan': 3, 'nutrition-dietitian-helper': 2, 'fitness-fuel-strength': 1, 'plant-based-chef': 1, 'vegan-recipe-developer': 1 }, traps: ['pet-nutrition-advisor', 'dr-nutritionist-bloodwork'] },
  { group: 'near-miss', q: 'write listing descriptions for houses we sell', rel: { 'real-estate-listing-writer': 3, 'real-estate-agent': 1, 'product-description-writer': 1 }, traps: ['real-estate-investment-analyzer'] },
  { group: 'near-miss', q: 'a sparring partner to practise chess openings', rel: { 'chess-rival': 3, 'chess-coach': 3 }, traps: ['board-game-rules-explainer', 'drinking-games', 'puzzle-and-riddle-maker'] },
  { group: 'near-miss', q: 'write song lyrics that rhyme', rel: { 'songwriting-partner': 3, 'song-composer': 2, 'sni-task183-rhymes': 2, 'poetry-workshop': 1 }, traps: ['song-recommender', 'music-marketing-mentor', 'dj-set-planner'] },
  { group: 'near-miss', q: 'someone to talk to when my anxiety gets bad', rel: { 'pocket-therapist-anxiety': 3, 'mental-health-support-companion': 3, 'ayla-mental-health': 2, 'mental-health-adviser': 2 }, traps: ['psychotherapy-simulator'] },
  { group: 'near-miss', q: 'snacks to serve with sake', rel: { 'sake-snack-buddy': 3, 'vino-finder-japan': 1 }, traps: ['sommelier-wine-pairing', 'ai-japanese-tutor', 'japanese-learning-partner', 'japanese-kanji-quiz'] },
  { group: 'near-miss', q: 'find goroutines that never exit in a Go service', rel: { 'go-goroutine-leak-hunter': 3, 'memory-leak-profiler': 1 }, traps: ['chess-coach', 'chess-rival', 'board-game-rules-explainer'] },

  // ---- multilingual: Spanish, French and German queries for English adapters ----
  { group: 'multilingual', lang: 'es', q: 'qué vino servir con la cena de pescado', rel: WINE_PAIRING },
  { group: 'multilingual', lang: 'es', q: 'optimizar consultas SQL lentas en PostgreSQL', rel: SQL_TUNING },
  { group: 'multilingual', lang: 'es', q: 'elaboración de cerveza artesanal en casa', rel: HOMEBREW, traps: HOMEBREW_TRAPS },
  { group: 'multilingual', lang: 'es', q: 'plan de entrenamiento para ganar fuerza en el gimnasio', rel: STRENGTH },
  { group: 'multilingual', lang: 'es', q: 'mi casero no me devuelve la fianza del alquiler', rel: TENANCY },
  { group: 'multilingual', lang: 'es', q: 'gestión de viñedos y riego de la vid', rel: VINEYARD, traps: VINEYARD_TRAPS },
  { group: 'multilingual', lang: 'es', q: 'recetas de cócteles para una fiesta en casa', rel: COCKTAILS },
  { group: 'multilingual', lang: 'es', q: 'detectar comentarios tóxicos y mensajes de odio', rel: TOXIC },
  { group: 'multilingual', lang: 'fr', q: 'accords mets et vins pour un dîner', rel: WINE_PAIRING },
  { group: 'multilingual', lang: 'fr', q: 'écrire des tests unitaires pour mon code JavaScript', rel: UNIT_TESTS_JS },
  { group: 'multilingual', lang: 'fr', q: 'mon chien tire sur la laisse, comment le dresser', rel: DOG_TRAINING },
  { group: 'multilingual', lang: 'fr', q: 'résumer les notes cliniques des patients', rel: CLINICAL_SUMMARY },
  { group: 'multilingual', lang: 'fr', q: 'préparer un meilleur café filtre à la maison', rel: COFFEE },
  { group: 'multilingual', lang: 'fr', q: 'les pods de mon cluster Kubernetes redémarrent sans cesse', rel: K8S },
  { group: 'multilingual', lang: 'fr', q: 'pourquoi les feuilles de mes tomates jaunissent', rel: PLANT_DOCTOR },
  { group: 'multilingual', lang: 'fr', q: 'brasser sa propre bière à la maison', rel: HOMEBREW, traps: HOMEBREW_TRAPS },
  { group: 'multilingual', lang: 'de', q: 'welchen Wein empfiehlst du zum Abendessen', rel: WINE_PAIRING },
  { group: 'multilingual', lang: 'de', q: 'Bier selbst brauen zu Hause', rel: HOMEBREW, traps: HOMEBREW_TRAPS },
  { group: 'multilingual', lang: 'de', q: 'langsame SQL-Abfragen in PostgreSQL beschleunigen', rel: SQL_TUNING },
  { group: 'multilingual', lang: 'de', q: 'Verträge auf einseitige Haftungsklauseln prüfen', rel: CONTRACT_REVIEW },
  { group: 'multilingual', lang: 'de', q: 'mein Hund zieht an der Leine, wie erziehe ich ihn', rel: DOG_TRAINING },
  { group: 'multilingual', lang: 'de', q: 'Cocktails mixen für eine Party zu Hause', rel: COCKTAILS },
  { group: 'multilingual', lang: 'de', q: 'Kundenbewertungen nach positiv und negativ sortieren', rel: REVIEW_SENTIMENT },
  { group: 'multilingual', lang: 'de', q: 'Trainingsplan für mehr Kraft im Fitnessstudio', rel: STRENGTH },

  // ---- fresh: written after the glossary (src/node/language/glossary.ts) was frozen; nothing was tuned on them ----
  { group: 'multilingual', lang: 'es', fresh: true, q: 'necesito ayuda para escribir el currículum para una entrevista de trabajo', rel: { 'resume-cv-writer': 3, 'job-interview-coach': 2, 'career-counselor': 2 } },
  { group: 'multilingual', lang: 'es', fresh: true, q: 'mi gato vomita y no quiere comer', rel: { 'veterinary-triage-helper': 3, 'pet-nutrition-advisor': 1, 'pet-behaviorist': 1 } },
  { group: 'multilingual', lang: 'es', fresh: true, q: 'aprender acordes de guitarra para principiantes', rel: { 'guitar-practice-coach': 3, 'chord-maestro-guitar': 3, 'acoustic-guitar-composer': 1, 'music-theory-tutor': 1 } },
  { group: 'multilingual', lang: 'fr', fresh: true, q: 'trouver des failles de sécurité dans mon application web', rel: { 'secure-code-review': 3, 'cyber-security-specialist': 2, 'pentest-report-writer': 1, 'cyber-security-tutor': 1 } },
  { group: 'multilingual', lang: 'fr', fresh: true, q: 'planifier un voyage de trois jours à Rome', rel: { 'travel-itinerary-planner': 3, 'travel-guide-nearby': 2 } },
  { group: 'multilingual', lang: 'fr', fresh: true, q: 'je n\'arrive pas à dormir la nuit', rel: { 'sleep-hygiene-coach': 3, 'mental-health-support-companion': 1, 'pocket-therapist-anxiety': 1 } },
  { group: 'multilingual', lang: 'de', fresh: true, q: 'Steuererklärung für Selbstständige verstehen', rel: { 'tax-basics-explainer': 3, 'tax-saver-digital-economy': 2, 'accountant-planner': 2, 'accounting-aid': 1, 'bookkeeping-assistant': 1 } },
  { group: 'multilingual', lang: 'de', fresh: true, q: 'Gemüsebeet im Garten anlegen', rel: { 'vegetable-garden-planner': 3, 'organic-vegetable-garden-helper': 3, 'garden-guru': 1, 'green-thumb-guide': 1 } },
  { group: 'multilingual', lang: 'de', fresh: true, q: 'Rezepte für vegane Gerichte', rel: { 'vegan-recipe-developer': 3, 'plant-based-chef': 3, 'nutritionist-vegan': 1, 'chefbot-recipes': 1 } }
]

export type Part = 'dev' | 'held-out' | 'fresh'

/** Every third query of each group is held out; fresh queries are a part of their own. */
export function partsOf (judgments: Judged[]): Array<Judged & { part: Part }> {
  const seen = new Map<Group, number>()
  return judgments.map(j => {
    if (j.fresh === true) return { ...j, part: 'fresh' }
    const n = (seen.get(j.group) ?? 0) + 1
    seen.set(j.group, n)
    return { ...j, part: n % 3 === 0 ? 'held-out' : 'dev' }
  })
}
