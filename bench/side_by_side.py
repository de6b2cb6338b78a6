#!/usr/bin/env python3
"""Helpers of bench/side_by_side.sh: request bodies, the checks that both GraphQL servers give the
same answer before anything is measured, pgbench latency percentiles, and the summary lines.

Standard library only. Each subcommand prints what it made or found on stdout (or writes the
files it is given) and its findings on stderr; a failed check exits non-zero.
"""
import json
import random
import statistics
import sys
import urllib.request
from datetime import datetime, time, timezone

# --- the queries -------------------------------------------------------------------------------

LIST_API = ("{ cases(first: 50) { nodes { reference serviceName customer { displayName } "
            "restrictions { kind startsOn reviewDueOn } } } }")
LIST_PGL = ("{ allUpcCases(first: 50, orderBy: PRIMARY_KEY_ASC) { nodes { reference serviceByServiceId { name } "
            "customerByCustomerId { displayName } restrictionsByCaseId(orderBy: [STARTS_ON_ASC, PRIMARY_KEY_ASC]) "
            "{ nodes { kind startsOn reviewDueOn } } } } }")

# One case as the intranet's case page asks for it: the timeline the API computes, and the plain
# columns of its decisions, warnings, restrictions and letters.
DETAIL_API = """query($id: ID!) { case(id: $id) {
  reference stage status serviceName customer { displayName }
  timeline { at kind recordId summary }
  stage2Decisions { id immediate decidedOn consultedRole reviewDueOn serviceTeamNotifiedAt }
  stage1Warnings { id letterDate appealDeadline status consultedOn copiedToFeedbackOfficer }
  restrictions { kind startsOn reviewDueOn }
  letters { id kind language issuedAt sentAt }
} }"""

# PostGraphile's closest equivalent: the same case's plain columns, and the rows of every table
# the API's timeline is built from, with the columns the timeline reads (PostGraphile cannot
# merge, order and word them into one timeline; a client would have to).
DETAIL_PGL = """query($id: BigInt!) { upcCaseByRowId(rowId: $id) {
  reference stage status closedAt serviceByServiceId { name } customerByCustomerId { displayName }
  behaviourReportsByCaseId(orderBy: PRIMARY_KEY_ASC) { nodes { rowId occurredAt reporterRole
    behaviourReportTypesByReportId(orderBy: PRIMARY_KEY_ASC) { nodes { behaviour } } } }
  determinationsByCaseId(orderBy: PRIMARY_KEY_ASC) { nodes { rowId decidedAt unreasonable deciderRole } }
  stage1WarningsByCaseId(orderBy: PRIMARY_KEY_ASC) { nodes { rowId createdAt letterDate appealDeadline status consultedOn feedbackOfficerCopied } }
  appealsByCaseId(orderBy: PRIMARY_KEY_ASC) { nodes { rowId createdAt receivedOn acceptedLate decidedAt outcome } }
  stage2DecisionsByCaseId(orderBy: PRIMARY_KEY_ASC) { nodes { rowId createdAt immediate decidedOn consultedRole reviewDueOn serviceTeamNotifiedAt } }
  restrictionsByCaseId(orderBy: [STARTS_ON_ASC, PRIMARY_KEY_ASC]) { nodes { rowId createdAt kind startsOn reviewDueOn liftedOn } }
  breachesByCaseId(orderBy: PRIMARY_KEY_ASC) { nodes { rowId occurredAt flaggedForReview } }
  newIssueConsiderationsByCaseId(orderBy: PRIMARY_KEY_ASC) { nodes { rowId createdAt restrictionsRemainAppropriate } }
  reviewsByCaseId(orderBy: PRIMARY_KEY_ASC) { nodes { rowId createdAt recommendation endorsed endorsedOn } }
  lettersByCaseId(orderBy: PRIMARY_KEY_ASC) { nodes { rowId kind language issuedAt sentAt } }
  hsIncidentsByCaseId(orderBy: PRIMARY_KEY_ASC) { nodes { rowId reportedAt imminentRisk } }
  exclusionsByCaseId(orderBy: PRIMARY_KEY_ASC) { nodes { rowId createdAt kind healthAndSafety startsOn endsOn agreedAt agreedByRole liftedOn } }
  policeReferralsByCaseId(orderBy: PRIMARY_KEY_ASC) { nodes { rowId createdAt referredOn } }
  callTerminationsByCaseId(orderBy: PRIMARY_KEY_ASC) { nodes { rowId terminatedAt } }
  harassmentReferralsByCaseId(orderBy: PRIMARY_KEY_ASC) { nodes { rowId referredAt } }
  recordingRequestsByCaseId(orderBy: PRIMARY_KEY_ASC) { nodes { rowId requestedAt agreed } }
} }"""

# The same rows as one SQL statement for pgbench (-M prepared); :i picks one of the case ids.
DETAIL_SQL_TABLES = [
    ("reports", "behaviour_report", "json_build_object('id', x.id, 'occurred_at', x.occurred_at, 'reporter_role', x.reporter_role, "
     "'behaviours', (SELECT json_agg(t.behaviour ORDER BY t.behaviour) FROM behaviour_report_type t WHERE t.report_id = x.id))"),
    ("determinations", "determination", "json_build_object('id', x.id, 'decided_at', x.decided_at, 'unreasonable', x.unreasonable, 'decider_role', x.decider_role)"),
    ("warnings", "stage_1_warning", "json_build_object('id', x.id, 'created_at', x.created_at, 'letter_date', x.letter_date, 'appeal_deadline', x.appeal_deadline, "
     "'status', x.status, 'consulted_on', x.consulted_on, 'feedback_officer_copied', x.feedback_officer_copied)"),
    ("appeals", "appeal", "json_build_object('id', x.id, 'created_at', x.created_at, 'received_on', x.received_on, 'accepted_late', x.accepted_late, "
     "'decided_at', x.decided_at, 'outcome', x.outcome)"),
    ("decisions", "stage_2_decision", "json_build_object('id', x.id, 'created_at', x.created_at, 'immediate', x.immediate, 'decided_on', x.decided_on, "
     "'consulted_role', x.consulted_role, 'review_due_on', x.review_due_on, 'service_team_notified_at', x.service_team_notified_at)"),
    ("restrictions", "restriction", "json_build_object('id', x.id, 'created_at', x.created_at, 'kind', x.kind, 'starts_on', x.starts_on, "
     "'review_due_on', x.review_due_on, 'lifted_on', x.lifted_on)"),
    ("breaches", "breach", "json_build_object('id', x.id, 'occurred_at', x.occurred_at, 'flagged_for_review', x.flagged_for_review)"),
    ("new_issues", "new_issue_consideration", "json_build_object('id', x.id, 'created_at', x.created_at, 'remain', x.restrictions_remain_appropriate)"),
    ("reviews", "review", "json_build_object('id', x.id, 'created_at', x.created_at, 'recommendation', x.recommendation, 'endorsed', x.endorsed, 'endorsed_on', x.endorsed_on)"),
    ("letters", "letter", "json_build_object('id', x.id, 'kind', x.kind, 'language', x.language, 'issued_at', x.issued_at, 'sent_at', x.sent_at)"),
    ("incidents", "hs_incident", "json_build_object('id', x.id, 'reported_at', x.reported_at, 'imminent_risk', x.imminent_risk)"),
    ("exclusions", "exclusion", "json_build_object('id', x.id, 'created_at', x.created_at, 'kind', x.kind, 'health_and_safety', x.health_and_safety, "
     "'starts_on', x.starts_on, 'ends_on', x.ends_on, 'agreed_at', x.agreed_at, 'agreed_by_role', x.agreed_by_role, 'lifted_on', x.lifted_on)"),
    ("police", "police_referral", "json_build_object('id', x.id, 'created_at', x.created_at, 'referred_on', x.referred_on)"),
    ("calls", "call_termination", "json_build_object('id', x.id, 'terminated_at', x.terminated_at)"),
    ("harassment", "harassment_referral", "json_build_object('id', x.id, 'referred_at', x.referred_at)"),
    ("recordings", "recording_request", "json_build_object('id', x.id, 'requested_at', x.requested_at, 'agreed', x.agreed)"),
]

CONTACT_API = ("query($input: ContactCheckInput!) { contactCheck(input: $input) "
               "{ allowed findings { kind blocks instruction } } }")
CHANNELS = ["in_person", "telephone", "letter", "email", "fax", "web"]


def body(query, variables=None):
    b = {"query": query}
    if variables is not None:
        b["variables"] = variables
    return json.dumps(b, separators=(",", ":"))


def post(url, payload, token=None):
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = "Bearer " + token
    req = urllib.request.Request(url, data=payload.encode(), headers=headers, method="POST")
    with urllib.request.urlopen(req, timeout=30) as r:
        out = json.loads(r.read())
    if out.get("errors"):
        raise SystemExit(f"{url}: errors {json.dumps(out['errors'])[:500]} for {payload[:300]}")
    return out["data"]


def lines(path):
    with open(path) as f:
        return [ln.strip() for ln in f if ln.strip()]


def write_lines(path, rows):
    with open(path, "w") as f:
        for r in rows:
            f.write(r + "\n")


def log(msg):
    print(msg, file=sys.stderr)


# --- case list -----------------------------------------------------------------------------------

def cmd_list_bodies(api_out, pgl_out):
    write_lines(api_out, [body(LIST_API)])
    write_lines(pgl_out, [body(LIST_PGL)])


def cmd_list_check(api_url, token, pgl_url, api_bodies, pgl_bodies):
    a = post(api_url, lines(api_bodies)[0], token)
    p = post(pgl_url, lines(pgl_bodies)[0])
    na = [(n["reference"], n["serviceName"], n["customer"]["displayName"],
           [(r["kind"].lower(), r["startsOn"], r["reviewDueOn"]) for r in n["restrictions"]])
          for n in a["cases"]["nodes"]]
    np_ = [(n["reference"], n["serviceByServiceId"]["name"], n["customerByCustomerId"]["displayName"],
            [(r["kind"].lower(), r["startsOn"], r["reviewDueOn"]) for r in n["restrictionsByCaseId"]["nodes"]])
           for n in p["allUpcCases"]["nodes"]]
    if not (len(na) == 50 and na == np_):
        raise SystemExit(f"case list: the two servers differ: {na[:2]} vs {np_[:2]}")
    log(f"check ok (list): 50 cases, {sum(len(x[3]) for x in na)} restrictions, identical")


# --- case detail ---------------------------------------------------------------------------------

def cmd_detail_bodies(ids_file, api_out, pgl_out, sql_out):
    ids = lines(ids_file)
    if not ids:
        raise SystemExit("no case ids for the case detail")
    write_lines(api_out, [body(DETAIL_API, {"id": i}) for i in ids])
    write_lines(pgl_out, [body(DETAIL_PGL, {"id": i}) for i in ids])
    subs = ",\n ".join(
        f"(SELECT json_agg({obj} ORDER BY x.id) FROM {table} x WHERE x.case_id = c.id) AS {name}"
        for name, table, obj in DETAIL_SQL_TABLES)
    sql = (f"\\set i random(1, {len(ids)})\n"
           "SELECT c.reference, c.stage, c.status, c.closed_at, s.name AS service_name, cu.display_name,\n "
           + subs +
           "\nFROM upc_case c JOIN service s ON s.id = c.service_id JOIN customer cu ON cu.id = c.customer_id\n"
           f"WHERE c.id = (ARRAY[{','.join(ids)}]::bigint[])[:i];\n")
    with open(sql_out, "w") as f:
        f.write(sql)


def ts(s):
    return datetime.fromisoformat(s).astimezone(timezone.utc)


def day_or_created(day, created):
    d = datetime.combine(datetime.fromisoformat(day).date(), time.min, tzinfo=timezone.utc)
    return max(d, ts(created))


def words(s):
    return s.replace("_", " ")


def timeline_from_rows(c):
    """The API's timeline (api/src/domain/timeline.rs) worked out from PostGraphile's rows."""
    t = []

    def nodes(field):
        return c[field]["nodes"]

    def add(at, kind, rid, summary):
        t.append((at, kind, str(rid), summary))

    for r in nodes("behaviourReportsByCaseId"):
        beh = ", ".join(x["behaviour"] for x in r["behaviourReportTypesByReportId"]["nodes"])
        add(ts(r["occurredAt"]), "report", r["rowId"], f"behaviour reported by {r['reporterRole']}: {beh}")
    for d in nodes("determinationsByCaseId"):
        verdict = "unreasonable" if d["unreasonable"] else "not unreasonable"
        add(ts(d["decidedAt"]), "determination", d["rowId"], f"behaviour determined {verdict} by the {d['deciderRole']}")
    for w in nodes("stage1WarningsByCaseId"):
        add(ts(w["createdAt"]), "stage_1_warning", w["rowId"],
            f"Stage 1 warning dated {w['letterDate']}; appeal by {w['appealDeadline']}")
    for a in nodes("appealsByCaseId"):
        late = " (accepted late)" if a["acceptedLate"] else ""
        add(ts(a["createdAt"]), "appeal_logged", a["rowId"], f"appeal received {a['receivedOn']}{late}")
        if a["decidedAt"]:
            add(ts(a["decidedAt"]), "appeal_decided", a["rowId"], f"appeal {words(a['outcome'] or '')}")
    for d in nodes("stage2DecisionsByCaseId"):
        how = "immediately, without a warning" if d["immediate"] else "after a warning"
        add(ts(d["createdAt"]), "stage_2_decision", d["rowId"],
            f"Stage 2 restricted contact decided {how}; review by {d['reviewDueOn']}")
    for r in nodes("restrictionsByCaseId"):
        add(ts(r["createdAt"]), "restriction_imposed", r["rowId"], f"{r['kind']} restriction from {r['startsOn']}")
        if r["liftedOn"]:
            add(day_or_created(r["liftedOn"], r["createdAt"]), "restriction_lifted", r["rowId"], f"{r['kind']} restriction lifted")
    for b in nodes("breachesByCaseId"):
        flagged = "; flagged for review" if b["flaggedForReview"] else ""
        add(ts(b["occurredAt"]), "breach", b["rowId"], f"restriction breached{flagged}")
    for n in nodes("newIssueConsiderationsByCaseId"):
        remain = "remain" if n["restrictionsRemainAppropriate"] else "no longer"
        add(ts(n["createdAt"]), "new_issue_considered", n["rowId"], f"new issue considered: restrictions {remain} appropriate")
    for r in nodes("reviewsByCaseId"):
        if r["recommendation"]:
            add(ts(r["createdAt"]), "review_recommended", r["rowId"], f"review recommends: {words(r['recommendation'])}")
        if r["endorsed"] is not None and r["endorsedOn"]:
            word = "endorsed" if r["endorsed"] else "not endorsed"
            add(day_or_created(r["endorsedOn"], r["createdAt"]), "review_endorsed", r["rowId"], f"review recommendation {word}")
    for l in nodes("lettersByCaseId"):
        add(ts(l["issuedAt"]), "letter_issued", l["rowId"], f"{words(l['kind'])} letter issued in {l['language']}")
    for i in nodes("hsIncidentsByCaseId"):
        risk = "; imminent risk of harm" if i["imminentRisk"] else ""
        add(ts(i["reportedAt"]), "threat_reported", i["rowId"], f"threat to staff reported in writing{risk}")
    for e in nodes("exclusionsByCaseId"):
        why = " (Health & Safety: no appeal)" if e["healthAndSafety"] else ""
        until = f"to {e['endsOn']}" if e["endsOn"] else "until lifted"
        long_term = e["agreedAt"] and ts(e["agreedAt"]) > ts(e["createdAt"])
        if long_term:
            imposed = f"temporary exclusion from premises from {e['startsOn']}{why}"
        else:
            imposed = f"{words(e['kind'])} exclusion from premises from {e['startsOn']} {until}{why}"
        add(ts(e["createdAt"]), "exclusion_imposed", e["rowId"], imposed)
        if long_term and e["agreedByRole"]:
            add(ts(e["agreedAt"]), "exclusion_made_long_term", e["rowId"],
                f"exclusion made long-term {until}, agreed by the {words(e['agreedByRole'])}")
        if e["liftedOn"]:
            add(day_or_created(e["liftedOn"], e["createdAt"]), "exclusion_lifted", e["rowId"], f"exclusion lifted from {e['liftedOn']}")
    for p in nodes("policeReferralsByCaseId"):
        add(day_or_created(p["referredOn"], p["createdAt"]), "police_referral", p["rowId"], f"reported to the police on {p['referredOn']}")
    for ct in nodes("callTerminationsByCaseId"):
        add(ts(ct["terminatedAt"]), "call_terminated", ct["rowId"], "call ended after a warning")
    for h in nodes("harassmentReferralsByCaseId"):
        add(ts(h["referredAt"]), "harassment_referred", h["rowId"], "abusive calls referred to the Head of Service as harassment")
    for r in nodes("recordingRequestsByCaseId"):
        add(ts(r["requestedAt"]), "recording_request", r["rowId"],
            f"request to record a conversation {'agreed' if r['agreed'] else 'refused'}")
    return t


def cmd_detail_check(api_url, token, pgl_url, api_bodies, pgl_bodies):
    ab, pb = lines(api_bodies), lines(pgl_bodies)
    assert len(ab) == len(pb) and ab, "the two body files differ in length"
    entries = decisions = restrictions = letters = 0
    summaries_differ = 0
    for x, y in zip(ab, pb):
        a = post(api_url, x, token)["case"]
        c = post(pgl_url, y)["upcCaseByRowId"]
        cid = json.loads(x)["variables"]["id"]
        if c is None:
            raise SystemExit(f"case {cid}: PostGraphile found no such case")
        shared_a = {
            "case": (a["reference"], a["stage"], a["status"], a["serviceName"], a["customer"]["displayName"]),
            "decisions": sorted((d["id"], d["immediate"], d["decidedOn"], d["consultedRole"], d["reviewDueOn"],
                                 d["serviceTeamNotifiedAt"] and ts(d["serviceTeamNotifiedAt"])) for d in a["stage2Decisions"]),
            "warnings": sorted((w["id"], w["letterDate"], w["appealDeadline"], w["status"], w["consultedOn"],
                                w["copiedToFeedbackOfficer"]) for w in a["stage1Warnings"]),
            "restrictions": sorted((r["kind"], r["startsOn"], r["reviewDueOn"]) for r in a["restrictions"]),
            "letters": sorted((l["id"], l["kind"], l["language"], ts(l["issuedAt"]), l["sentAt"] and ts(l["sentAt"]))
                              for l in a["letters"]),
        }
        shared_p = {
            "case": (c["reference"], c["stage"], c["status"], c["serviceByServiceId"]["name"], c["customerByCustomerId"]["displayName"]),
            "decisions": sorted((d["rowId"], d["immediate"], d["decidedOn"], d["consultedRole"], d["reviewDueOn"],
                                 d["serviceTeamNotifiedAt"] and ts(d["serviceTeamNotifiedAt"]))
                                for d in c["stage2DecisionsByCaseId"]["nodes"]),
            "warnings": sorted((w["rowId"], w["letterDate"], w["appealDeadline"], w["status"], w["consultedOn"],
                                w["feedbackOfficerCopied"]) for w in c["stage1WarningsByCaseId"]["nodes"]),
            "restrictions": sorted((r["kind"], r["startsOn"], r["reviewDueOn"]) for r in c["restrictionsByCaseId"]["nodes"]),
            "letters": sorted((l["rowId"], l["kind"], l["language"], ts(l["issuedAt"]), l["sentAt"] and ts(l["sentAt"]))
                              for l in c["lettersByCaseId"]["nodes"]),
        }
        for k in shared_a:
            if shared_a[k] != shared_p[k]:
                raise SystemExit(f"case {cid}: {k} differ: API {shared_a[k]} PostGraphile {shared_p[k]}")
        if not (a["stage2Decisions"] and a["restrictions"] and a["letters"]):
            raise SystemExit(f"case {cid}: has no Stage 2 decision, restriction or letter")
        # The timeline: every (time, kind, record) the API lists must follow from PostGraphile's rows.
        got = sorted((ts(e["at"]), e["kind"], e["recordId"]) for e in a["timeline"])
        derived = timeline_from_rows(c)
        if c["closedAt"]:
            derived.append((ts(c["closedAt"]), "case_closed", cid, "case closed"))
        if got != sorted(d[:3] for d in derived):
            raise SystemExit(f"case {cid}: timeline entries do not follow from PostGraphile's rows:\n"
                             f" API {got}\n derived {sorted(d[:3] for d in derived)}")
        want = sorted((ts(e["at"]), e["kind"], e["recordId"], e["summary"]) for e in a["timeline"])
        if want != sorted(derived):
            summaries_differ += 1
        entries += len(got)
        decisions += len(a["stage2Decisions"])
        restrictions += len(a["restrictions"])
        letters += len(a["letters"])
    note = "identical" if not summaries_differ else f"wording differs on {summaries_differ} cases (times, kinds, records identical)"
    log(f"check ok (detail): {len(ab)} cases agree on reference, stage, status, service, customer, "
        f"{decisions} Stage 2 decisions, {restrictions} restrictions, {letters} letters; "
        f"their {entries} timeline entries follow from PostGraphile's rows ({note})")


# --- contact check -------------------------------------------------------------------------------

def cmd_contact_bodies(case_pairs_file, customers_file, codes_file, n, out):
    """n (customer, service, channel) triples: half a case's own customer and service (so its
    restrictions are evaluated), half any customer with any service, as api/benches/load.rs."""
    rng = random.Random(18)
    pairs = [ln.split("|") for ln in lines(case_pairs_file)]
    customers = lines(customers_file)
    codes = lines(codes_file)
    if not (pairs and customers and codes):
        raise SystemExit("no customers, services or cases for the contact check")
    rows = []
    for k in range(int(n)):
        if k % 2 == 0:
            customer, code = pairs[rng.randrange(len(pairs))]
        else:
            customer, code = customers[rng.randrange(len(customers))], codes[rng.randrange(len(codes))]
        rows.append(body(CONTACT_API, {"input": {"customerId": customer, "serviceCode": code,
                                                 "channel": CHANNELS[rng.randrange(len(CHANNELS))]}}))
    write_lines(out, rows)


def cmd_contact_check(api_url, token, bodies):
    allowed = refused = findings = 0
    for b in lines(bodies):
        r = post(api_url, b, token)["contactCheck"]
        allowed += r["allowed"]
        refused += not r["allowed"]
        findings += len(r["findings"])
    log(f"check ok (contact): {allowed + refused} contact checks answered without errors: "
        f"{allowed} allowed, {refused} refused, {findings} findings")


# --- figures -------------------------------------------------------------------------------------

def pct(values, p):
    v = sorted(values)
    if not v:
        return float("nan")
    k = max(0, min(len(v) - 1, int(round(p / 100 * len(v) + 0.5)) - 1))
    return v[k]


def cmd_pgbench_latency(*logs):
    """p50 and p99 (ms) from pgbench -l per-transaction logs (third column: latency in us)."""
    lat = []
    for path in logs:
        with open(path) as f:
            for ln in f:
                parts = ln.split()
                if len(parts) >= 3:
                    lat.append(int(parts[2]) / 1000)
    print(f"p50_ms={pct(lat, 50):.3f} p99_ms={pct(lat, 99):.3f}")


def read_results(path):
    """Lines: scale workload system run rps p50_ms p99_ms errors (failed or error responses)."""
    out = {}
    for ln in lines(path):
        scale, w, s, _run, rps, p50, p99, errors = ln.split()
        out.setdefault((scale, w, s), []).append((float(rps), float(p50), float(p99), int(errors)))
    return out


def med(xs):
    return statistics.median(xs)


def cmd_summary(results, peaks, scale, workload):
    """SUMMARY lines (medians of the runs) and RATIO lines for one workload at one scale."""
    res = read_results(results)
    peak = dict(ln.split()[:2] for ln in lines(peaks)) if peaks != "-" else {}
    rps = {}
    for system in ("upc-api", "postgraphile", "pgbench"):
        runs = res.get((scale, workload, system))
        if not runs:
            continue
        r, p50, p99 = med([x[0] for x in runs]), med([x[1] for x in runs]), med([x[2] for x in runs])
        rps[system] = r
        print(f"SUMMARY {workload} {system} rps={r:.1f} p50_ms={p50:.3f} p99_ms={p99:.3f} "
              f"rss_peak_kb={peak.get(system, 'NA')} runs={len(runs)} errors={sum(x[3] for x in runs)} scale={scale}")
    names = {"upc-api": "api", "postgraphile": "postgraphile", "pgbench": "pgbench"}
    pairs = [(a, b) for a, b in (("upc-api", "postgraphile"), ("upc-api", "pgbench"), ("postgraphile", "pgbench"))
             if a in rps and b in rps and rps[b] > 0]
    if pairs:
        print(f"RATIO {workload} rps " + " ".join(f"{names[a]}/{names[b]}={rps[a] / rps[b]:.2f}" for a, b in pairs)
              + f" scale={scale}")
    if workload == "contact" and (scale, workload, "upc-api") in res:
        p99 = med([x[2] for x in res[(scale, workload, "upc-api")]])
        print(f"GOAL contact upc-api p99_ms={p99:.3f} target_ms<=5 met={'yes' if p99 <= 5 else 'no'} scale={scale}")


def cmd_scales(results, first, *others):
    """Latency at each scale against the first: RATIO lines, and the goal (within 1.2x)."""
    res = read_results(results)
    for (scale, w, s), runs in res.items():  # in the order measured
        if scale != first:
            continue
        for other in others:
            o = res.get((other, w, s))
            if not o:
                continue
            b50, b99, br = med([x[1] for x in runs]), med([x[2] for x in runs]), med([x[0] for x in runs])
            o50, o99, orr = med([x[1] for x in o]), med([x[2] for x in o]), med([x[0] for x in o])
            tag = f"scale{other}/scale{first}"
            print(f"RATIO {w} {s} {tag} p50={o50 / b50:.2f} p99={o99 / b99:.2f} rps={orr / br:.2f}")
            if w == "list" and s == "upc-api":
                ok = o50 / b50 <= 1.2 and o99 / b99 <= 1.2
                print(f"GOAL list upc-api {tag} p50={o50 / b50:.2f} p99={o99 / b99:.2f} target<=1.2 met={'yes' if ok else 'no'}")


COMMANDS = {
    "list-bodies": cmd_list_bodies, "list-check": cmd_list_check,
    "detail-bodies": cmd_detail_bodies, "detail-check": cmd_detail_check,
    "contact-bodies": cmd_contact_bodies, "contact-check": cmd_contact_check,
    "pgbench-latency": cmd_pgbench_latency, "summary": cmd_summary, "scales": cmd_scales,
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        raise SystemExit(f"usage: {sys.argv[0]} {{{'|'.join(COMMANDS)}}} ...")
    COMMANDS[sys.argv[1]](*sys.argv[2:])
