"""Stop words: the word lists text is filtered by before its words are compared or searched."""

from __future__ import annotations


def word_set(text: str) -> frozenset[str]:
    """The whitespace-separated words of a literal, as a set."""
    return frozenset(text.split())


# Two lists on purpose, each defined once; merging them would change which passages are found and which
# sentences are quoted. CONTENT_STOP_WORDS (what textkit.words.content_words drops: answers, citations,
# rehearsal, positions, persona style) holds contractions and conversational words ("say", "know", "going",
# "thing", "mr"); SEARCH_STOP_WORDS (what a search query drops before the lexical index) is the classic
# information-retrieval list ("afterwards", "hence", "whereupon"), without contractions: the index splits
# words at apostrophes.
CONTENT_STOP_WORDS = word_set("""
a about above after again against all also am an and any are aren't as at be because been before being below
between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down during each
else ever every few for from further get gets got had hadn't has hasn't have haven't having he he'd he'll he's
her here here's hers herself him himself his how how's however i i'd i'll i'm i've if in into is isn't it it's
its itself just let's like made make many may me might more most much must mustn't my myself no nor not now of
off on once one only or other ought our ours ourselves out over own per quite rather really same shall shan't
she she'd she'll she's should shouldn't so some such than that that's the their theirs them themselves then
there there's these they they'd they'll they're they've this those through thus to too under until up upon us
very was wasn't we we'd we'll we're we've were weren't what what's when when's where where's whether which while
who who's whom whose why why's will with within without won't would wouldn't yes yet you you'd you'll you're
you've your yours yourself yourselves also even still well way ways thing things lot lots let going go goes
went gone come came say says said tell told know knew known want wanted need needs able across along among around
towards toward since ago already always never often sometimes just something anything nothing everything
someone anyone everyone today mr mrs ms dr
""")
# Words a question is phrased with that say nothing about its subject (dropped with CONTENT_STOP_WORDS).
QUESTION_FILLER = word_set("""
think thinks thought thoughts view views feel feels felt opinion opinions explain describe share talk talked
speak spoke spoken believe believes approach stance position perspective take takes kind sort please consider
regard regarding mean means meant matter matters important importance role respond response answer question
questions prefer hope hoped expect expected see seen look looking
ok okay hey hi bother bothering honestly actually wondering wonder curious guess anyway kinda gonna basically
nutshell gist tldr
""")

SEARCH_STOP_WORDS = word_set("""
a about above across after afterwards again against all almost alone along already also although always am
among amongst an and another any anyhow anyone anything anyway anywhere are around as at back be became because
become becomes becoming been before beforehand behind being below beside besides between beyond both but by can
cannot could did do does doing done down due during each eg either else elsewhere enough etc even ever every
everyone everything everywhere except few for former formerly from further had has have having he hence her here
hereafter hereby herein hers herself him himself his how however i ie if in indeed into is it its itself just
last latter least less let lets like ltd made many may me meanwhile might mine more moreover most mostly much
must my myself namely neither never nevertheless next no nobody none noone nor not nothing now nowhere of off
often on once one only onto or other others otherwise our ours ourselves out over own per perhaps please put
quite rather re really same seem seemed seeming seems several she should since so some somehow someone something
sometime sometimes somewhere still such than that the their theirs them themselves then thence there thereafter
thereby therefore therein thereupon these they this those though through throughout thru thus to together too
toward towards under until up upon us very via was we well were what whatever when whence whenever where
whereafter whereas whereby wherein whereupon wherever whether which while whither who whoever whole whom whose
why will with within without would yet you your yours yourself yourselves
""")
# Words that frame a question to the executive rather than say what it is about
# ("what do you think about…", "how do you see…", "tell me about…"); a search query drops them unless nothing
# else is left.
SEARCH_QUESTION_FRAME = word_set("""
think thinks thought thoughts say says said saying tell told telling explain explained describe described
view views feel feels felt believe believed opinion opinions stance position see saw mean meant consider
considered comment comments mention mentioned talk talked talking discuss discussed discussion discussions
summarize summarise summarized summary ask asked asking answer question questions know knew regard regarding
respect approach approached happen happened going get got want wanted share shared give gave kind sort thing
things way ways regard reason reasons
""")
