"""Word lists the name rules share: words that stand where a name could but are not names.

These are not corpus strings: they are the capitalised words of ordinary chat that follow a name
cue ("I'm Sorry", "Dear Sir") or that the English NER model mistakes for people (tool, cloud and
product names, days, months, nationalities). All entries are lower case; compare with `.lower()`.
"""

from __future__ import annotations

from typing import Final

__all__ = ["FUNCTION_WORDS", "NAME_PARTICLES", "NOT_ADDRESSED", "NOT_A_NAME", "TECH_WORDS", "TITLES"]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Words that never start a name (English, Norwegian, German, Swedish, Danish): a cue followed by
#: one of these is prose ("my name is on the list", "hilsen oss alle").
FUNCTION_WORDS: Final = _words(
    """
    a an the this that these those here there it its i i'm i've i'll i'd me my mine
    we us our you your he him his she her they
    them their who whom what which why how when where whose and or but nor if so as at by for from in into of
    off on onto out over to up with without about above after before below between during not no yes also just
    only still already too very really quite is am are was were be been being have has had do does did will
    would can could shall should may might must let all any some each every both either neither none one two
    three other another such same than then now ok okay please hi hello hey thanks thank sorry sure well
    jeg meg min mitt mine vi oss vår vårt våre du deg din ditt dine han ham hun henne de dem deres det den en
    et ei og eller men som på til fra med av for om er var har hadde ikke bare også alle hele noen ingen her
    der hva hvem hvor når hvordan så da nå ja nei takk hei
    ich mich mein meine wir uns unser du dich dein er sie es ihr der die das den dem ein eine und oder aber
    nicht ist bin sind war hier da was wer wie wo alle danke hallo
    jag mig min mitt vi oss du dig han hon de dem det och eller men inte är var här tack hej
    """
)

#: Capitalised words that follow "I'm", "Dear", "my boss" or a sign-off without being a name.
NOT_A_NAME: Final = FUNCTION_WORDS | _words(
    """
    sir madam madame mrs mr ms dr team all everyone everybody folks guys friends colleagues customer customers
    support admin administrator user users client sales hr it manager management board committee recruiter
    hiring reader readers sender recipient owner developer developers
    sorry fine good great glad happy sad tired new back here home done ready stuck lost confused curious
    trying using working looking getting going wondering asking running building writing reading planning
    missing listed shown displayed spelled misspelled printed written required wrong correct incorrect
    different empty long short unknown hidden private public changed used
    monday tuesday wednesday thursday friday saturday sunday january february march april june july
    august september october november december mandag tirsdag onsdag torsdag fredag lørdag søndag
    english norwegian swedish danish german french spanish italian dutch polish finnish american british
    canadian australian indian chinese japanese korean european african asian russian ukrainian irish
    scottish welsh portuguese brazilian mexican norsk svensk dansk tysk engelsk
    god christmas easter jul påske
    """
)

#: Tool, cloud, language and product words that en_core_web_sm sometimes labels PERSON ("Apache
#: Kafka", "Terraform Cloud", "Solution Explorer"): a PERSON span holding one is dropped.
TECH_WORDS: Final = _words(
    """
    python java javascript typescript rust golang kotlin perl php scala haskell elixir erlang
    docker kubernetes k8s helm istio envoy nginx apache spark hadoop flink airflow redis postgres
    postgresql mysql mongo mongodb sqlite elastic elasticsearch kibana grafana prometheus jaeger
    terraform ansible puppet chef vault consul nomad gitlab github bitbucket git azure aws amazon
    google gcp microsoft windows linux ubuntu debian fedora macos ios android chrome firefox safari
    react angular vue svelte next nuxt vite webpack babel node deno bun django flask fastapi chainlit
    pandas numpy pytorch torch tensorflow keras jupyter copilot chatgpt gpt openai anthropic gemini
    llama mistral ollama foundry cursor vscode visual studio excel outlook teams office sharepoint
    onedrive dropbox slack zoom jira confluence notion figma trello salesforce oracle sap ibm intel nvidia
    cuda apple iphone ipad samsung xbox playstation nintendo netflix spotify youtube twitter
    cloud code server client service services engine console portal app apps api sdk cli functions
    function actions action pipeline pipelines explorer desktop framework library plugin toolkit dashboard
    editor compiler runtime database cluster container containers manager studio platform store hub lab
    labs kit suite core pro enterprise edition assistant agent agents model models bot bots gateway proxy
    router registry operator controller module package config settings security identity directory
    active insights monitor analytics search maps drive mail calendar sheets docs forms world
    stack overflow stackoverflow claude siri alexa cortana bixby zendesk hubspot intercom freshdesk servicenow
    twilio stripe paypal
    """
)

#: Lower-case words allowed inside a name ("Ludwig van Beethoven", "Maria de la Cruz").
NAME_PARTICLES: Final = _words("van von der den de del della di da du la le bin ibn al el ter ten zu dos das")

#: Titles that mark the next capitalised word as a person's name.
TITLES: Final = _words("mr mrs ms mx miss dr prof sir dame herr frau fru frk mme mlle monsieur madame señor señora")

#: Capitalised words a greeting or a contact verb takes that are not a person: groups, family
#: words, assistants, departments and common nouns ("Hi Mom", "Hey Siri", "Contact Support",
#: "Forward this to Legal", "Thanks, Bye").
NOT_ADDRESSED: Final = _words(
    """
    there world team teams everyone everybody all folks guys gals y'all yall mate mates buddy pal pals
    friend friends fam family mom mum mommy mummy mama mamma dad daddy papa pappa grandma grandpa granny
    nana bro sis dude man boss doc honey sweetie darling babe baby love dear sunshine ladies gentlemen
    gentleman people class students kids children neighbours neighbors all's bye goodbye regards cheers
    thanks thank again back quick question soon later tomorrow today tonight anyone someone somebody
    siri alexa cortana bixby jeeves claude bard grok clippy bot chatbot assistant kitty
    support sales legal finance accounting accounts marketing billing reception security hr it admin
    admins ops devops engineering product design research procurement compliance payroll helpdesk
    service services customer customers us me center centre form desk office staff personnel management
    crew squad gang group department dept everyone's whoever each future past stranger strangers
    everything nothing something anything great nice awesome perfect noted
    """
)
