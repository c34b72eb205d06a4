import datetime as dt
from service.twin.engine import answer_question, _idf
from service.search import search_passages
from service.twin import extractive as ex
from tests.twin.conftest import add_document

def test_dbg(session, settings, world):
    q = "Will our list prices change next year?"
    a = answer_question(session, settings, "dana", q, world.employee)
    print(a.answer, a.grounded)
    add_document(session, world.twin, "pricing.md", [("Our list prices stay flat through next year, with no exceptions for renewals.", None, True)], title="Pricing memo", date=dt.date(2024, 7, 1))
    hits = search_passages(session, world.twin, q, world.employee, k=8, executive_only=True)
    idf = _idf(session, q)
    print([ (h.text[:40], h.source_version) for h in hits]); print(idf)
    print(ex.term_weights(ex.query_terms(q), idf))
    c = ex.compose_extractive(q, hits, ex.PersonaSettings(name='x'), threshold=0.43, idf=idf)
    print(c.grounding, c.answer)
    for q2 in ["What did you decide about pricing for renewal customers?", "And what about next year? What did you decide about pricing for renewal customers?"]:
        hits = search_passages(session, world.twin, q2, world.employee, k=8, executive_only=True)
        idf = _idf(session, q2)
        c = ex.compose_extractive(q2, hits, ex.PersonaSettings(name='x'), threshold=0.43, idf=idf)
        print(q2, ex.term_weights(ex.query_terms(q2), idf), c.grounding, c.answer)
    assert 0
