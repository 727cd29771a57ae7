//! One self-contained HTML page: the score, a bar per category (inline SVG), findings that can
//! be filtered by severity, status, category and text (a few lines of inline JavaScript), and
//! each rule's rationale and remediation. No external assets: the file can be mailed, archived
//! as a CI artifact or opened offline. The only links are the rules' documentation references.

use crate::Scan;
use crate::results::{RuleResult, Status};
use crate::rules::Rule;
use std::collections::BTreeSet;
use std::fmt::Write;

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes text and shows `code` spans (rule texts quote settings that way) as `<code>`.
fn prose(text: &str) -> String {
    let escaped = escape(text.trim());
    let mut out = String::new();
    let mut parts = escaped.split('`');
    let mut in_code = false;
    if let Some(first) = parts.next() {
        out.push_str(first);
    }
    for part in parts {
        in_code = !in_code;
        out.push_str(if in_code { "<code>" } else { "</code>" });
        out.push_str(part);
    }
    if in_code {
        out.push_str("</code>");
    }
    out
}

const STYLE: &str = r#"
:root{--fg:#1d2433;--muted:#5b6478;--line:#dde2ea;--bg:#f6f8fb;--card:#fff;--pass:#2e8b57;--fail:#c62828;
--critical:#7b1fa2;--high:#c62828;--medium:#e67e00;--low:#2b7bb9;--info:#6b7280;--waived:#8a6d3b;--error:#b45309;--na:#9ca3af}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:1280px;margin:0 auto;padding:24px}
header{display:flex;gap:24px;align-items:center;background:var(--card);border:1px solid var(--line);border-radius:10px;padding:20px 24px}
.grade{width:96px;height:96px;border-radius:50%;display:flex;align-items:center;justify-content:center;font-size:52px;font-weight:700;color:#fff;flex:none}
.grade-none{background:#777;font-size:20px}.banner{border:2px solid #c62828;background:#fdecea;padding:8px 12px;margin:12px 0;border-radius:4px}.grade-A{background:#2e8b57}.grade-B{background:#6a9f2a}.grade-C{background:#d49b00}.grade-D{background:#e06a00}.grade-F{background:#c62828}
h1{margin:0 0 4px;font-size:24px}h2{font-size:19px;margin:32px 0 12px}h3{margin:0 0 6px;font-size:16px}
.muted{color:var(--muted)}.big{font-size:20px;font-weight:600}
.cats{display:grid;grid-template-columns:repeat(auto-fill,minmax(220px,1fr));gap:12px}
.cat{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:12px 14px;cursor:pointer;text-align:left;font:inherit;color:inherit}
.cat:hover,.cat.on{border-color:#7a8aa6;box-shadow:0 1px 4px rgba(0,0,0,.08)}
.cat .name{font-weight:600}.cat .score{float:right;font-weight:700}
.cat svg{display:block;width:100%;height:12px;margin:8px 0 4px;border-radius:3px}
.filters{display:flex;flex-wrap:wrap;gap:10px 16px;align-items:center;background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 14px;margin-bottom:10px;position:sticky;top:0;z-index:1}
.filters label{font-size:13px;color:var(--muted)}
select,input[type=search]{font:inherit;padding:4px 8px;border:1px solid var(--line);border-radius:6px;background:#fff;color:var(--fg)}
input[type=search]{min-width:280px;flex:1}
button.reset{font:inherit;border:1px solid var(--line);background:#fff;border-radius:6px;padding:4px 10px;cursor:pointer}
table{width:100%;table-layout:fixed;border-collapse:collapse;background:var(--card);border:1px solid var(--line);border-radius:8px;overflow:hidden}
th,td{padding:8px 10px;border-bottom:1px solid var(--line);vertical-align:top;text-align:left}
th{background:#eef1f6;font-size:13px;color:var(--muted);font-weight:600}
tr:last-child td{border-bottom:none}
td.where{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12.5px;overflow-wrap:anywhere}
td{overflow-wrap:anywhere}
col.c1{width:120px}col.c2{width:200px}col.c3{width:260px}
@media (max-width:1000px){col.c2{width:160px}col.c3{width:190px}}
@media (max-width:600px){main{padding:8px}header{flex-wrap:wrap;padding:12px}.grade{width:64px;height:64px;font-size:34px}
input[type=search]{min-width:0;width:100%}table,tbody,tr,td{display:block;width:100%}colgroup,thead{display:none}
tr{border-bottom:1px solid var(--line)}tr[hidden]{display:none}td{border-bottom:none;padding:4px 10px}}
a.doc{font-size:13px;font-weight:400;margin-left:8px}
td.where .dir{display:block;color:var(--muted);font-size:11.5px}
a.rid{white-space:nowrap;font-weight:600}
.sub{display:block;color:var(--muted);font-size:13px}
td .status{display:block;margin-top:4px}
.chip{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;color:#fff;white-space:nowrap}
.s-critical{background:var(--critical)}.s-high{background:var(--high)}.s-medium{background:var(--medium)}.s-low{background:var(--low)}.s-info{background:var(--info)}
.t-fail{color:var(--fail)}.t-pass{color:var(--pass)}.t-waived{color:var(--waived)}.t-error{color:var(--error)}.t-not_applicable{color:var(--na)}
.status{font-weight:600;font-size:13px;white-space:nowrap}
details summary{cursor:pointer}
details .more{margin:6px 0 2px;padding:8px 10px;background:var(--bg);border-radius:6px;font-size:14px}
code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.9em;background:#eef1f6;padding:0 3px;border-radius:3px}
a{color:#1f5fbf}
.rule{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:14px 16px;margin-bottom:10px}
.rule p{margin:6px 0}
.note{background:#fff7e6;border:1px solid #f0d9a8;border-radius:8px;padding:10px 14px}
#empty{padding:16px;text-align:center;color:var(--muted)}
footer{margin:32px 0 8px;color:var(--muted);font-size:13px}
@media print{.filters{display:none}tr[hidden]{display:table-row!important}}
"#;

const SCRIPT: &str = r#"
(function(){
  var rows=[].slice.call(document.querySelectorAll('#results tbody tr'));
  var sev=document.getElementById('f-sev'),st=document.getElementById('f-status'),
      cat=document.getElementById('f-cat'),txt=document.getElementById('f-text'),
      count=document.getElementById('count'),empty=document.getElementById('empty');
  function apply(){
    var q=txt.value.trim().toLowerCase(),shown=0;
    rows.forEach(function(r){
      var s=r.getAttribute('data-status');
      var ok=(!sev.value||r.getAttribute('data-sev')===sev.value)
        &&(!st.value||(st.value==='open'?(s==='fail'||s==='error'):s===st.value))
        &&(!cat.value||r.getAttribute('data-cat')===cat.value)
        &&(!q||r.textContent.toLowerCase().indexOf(q)>=0);
      r.hidden=!ok; if(ok){shown++;}
    });
    count.textContent=shown+' of '+rows.length+' results';
    empty.hidden=shown>0;
    [].forEach.call(document.querySelectorAll('.cat'),function(b){
      b.classList.toggle('on',b.getAttribute('data-cat')===cat.value);
    });
  }
  [sev,st,cat].forEach(function(e){e.addEventListener('change',apply);});
  txt.addEventListener('input',apply);
  [].forEach.call(document.querySelectorAll('.cat'),function(b){
    b.addEventListener('click',function(){
      var c=b.getAttribute('data-cat'); cat.value=(cat.value===c?'':c); apply();
      document.getElementById('findings').scrollIntoView({behavior:'smooth'});
    });
  });
  document.getElementById('f-reset').addEventListener('click',function(){
    sev.value='';st.value='open';cat.value='';txt.value='';apply();
  });
  apply();
})();
"#;

fn status_label(s: Status) -> &'static str {
    match s {
        Status::Fail => "fail",
        Status::Error => "could not judge",
        Status::Waived => "waived",
        Status::Pass => "pass",
        Status::NotApplicable => "not applicable",
    }
}

fn category_card(out: &mut String, name: &str, value: f64, passed: usize, failed: usize) {
    let total = (passed + failed).max(1) as f64;
    let pass_w = 100.0 * passed as f64 / total;
    let _ = write!(
        out,
        "<button class=\"cat\" type=\"button\" data-cat=\"{n}\" title=\"Show only {n} findings\">\
         <span class=\"name\">{n}</span><span class=\"score\">{value:.1}</span>\
         <svg viewBox=\"0 0 100 6\" preserveAspectRatio=\"none\" role=\"img\" aria-label=\"{passed} passed, {failed} failed\">\
         <rect x=\"0\" y=\"0\" width=\"100\" height=\"6\" fill=\"#e5e7eb\"/>\
         <rect x=\"0\" y=\"0\" width=\"{pass_w:.2}\" height=\"6\" fill=\"#2e8b57\"/>\
         <rect x=\"{pass_w:.2}\" y=\"0\" width=\"{fail_w:.2}\" height=\"6\" fill=\"#c62828\"/></svg>\
         <span class=\"muted\">{passed} passed · {failed} failed</span></button>",
        n = escape(name),
        fail_w = 100.0 - pass_w,
    );
}

/// The file name and line first, its folder below in small print: long paths stay readable.
fn where_cell(r: &RuleResult) -> String {
    let Some(path) = &r.location.path else {
        return escape(&r.location.object);
    };
    let (dir, name) = match path.rfind('/') {
        Some(i) => path.split_at(i + 1),
        None => ("", path.as_str()),
    };
    let line = r.location.line.map(|l| format!(":{l}")).unwrap_or_default();
    format!(
        "{}{line}<span class=\"dir\">{}</span>",
        escape(name),
        escape(dir)
    )
}

/// One row of the results table; `also` names the other rules that could not be judged on the
/// same target for the same reason (one row per cause, not per rule).
fn result_row(out: &mut String, r: &RuleResult, also: &[&str]) {
    let mut more = String::new();
    if let Some(e) = &r.evidence {
        let _ = write!(more, "<div>Found <code>{}</code>", escape(&e.actual));
        if let Some(x) = &e.expected {
            let _ = write!(more, "; expected: {}", prose(x));
        }
        more.push_str("</div>");
    }
    if let Some(w) = &r.waiver {
        let _ = write!(
            more,
            "<div><b>Waived</b>: {} <span class=\"muted\">({}{}{})</span></div>",
            escape(&w.reason),
            escape(&w.source),
            w.expires
                .as_deref()
                .map(|d| format!(", until {}", escape(d)))
                .unwrap_or_default(),
            w.ticket
                .as_deref()
                .map(|t| format!(", {}", escape(t)))
                .unwrap_or_default()
        );
    }
    if r.baseline {
        more.push_str(
            "<div class=\"muted\">Already in the baseline: shown, but does not fail the run.</div>",
        );
    }
    if matches!(r.status, Status::Fail | Status::Waived) {
        let _ = write!(more, "<div><b>Fix</b>: {}</div>", prose(&r.remediation));
    }
    let object = match r.is_check() {
        true => String::new(),
        false => format!("Object <code>{}</code> · ", escape(&r.location.object)),
    };
    let _ = write!(
        more,
        "<div class=\"muted\">{object}<a href=\"#rule-{}\">about {}</a></div>",
        escape(&r.rule),
        escape(&r.rule)
    );
    let _ = writeln!(
        out,
        "<tr data-sev=\"{sev}\" data-status=\"{st}\" data-cat=\"{cat}\">\
         <td>{chip}<span class=\"status t-{st}\">{label}</span></td>\
         <td><a class=\"rid\" href=\"#rule-{rule}\">{rule}</a>{also}<span class=\"sub\">{target}</span></td>\
         <td class=\"where\">{place}</td>\
         <td><details><summary>{message}{baseline}</summary><div class=\"more\">{more}</div></details></td></tr>",
        sev = r.severity.as_str(),
        st = r.status.as_str(),
        cat = r.category.as_str(),
        label = status_label(r.status),
        // Could-not-judge is information, not an alarm: no severity chip.
        chip = if r.status == Status::Error {
            String::new()
        } else {
            format!("<span class=\"chip s-{0}\">{0}</span>", r.severity.as_str())
        },
        also = also
            .iter()
            .map(|id| format!(", <a class=\"rid\" href=\"#rule-{0}\">{0}</a>", escape(id)))
            .collect::<String>(),
        rule = escape(&r.rule),
        target = escape(&r.target),
        place = where_cell(r),
        message = escape(&r.summary()),
        baseline = if r.baseline {
            " <span class=\"muted\">(baseline)</span>"
        } else {
            ""
        },
    );
}

fn rule_article(out: &mut String, rule: &Rule) {
    let _ = write!(
        out,
        "<article class=\"rule\" id=\"rule-{id}\"><h3>{id} — {title}{doc}</h3>\
         <p><span class=\"chip s-{sev}\">{sev}</span> <span class=\"muted\">category {cat} · the fix {restart}</span></p>\
         <p><b>Why it matters.</b> {why}</p><p><b>How to fix.</b> {fix}</p>",
        id = escape(&rule.id),
        title = escape(&rule.title),
        doc = super::rule_doc_url(&rule.id)
            .map(|url| format!(
                " <a class=\"doc\" href=\"{}\">documentation</a>",
                escape(&url)
            ))
            .unwrap_or_default(),
        sev = rule.severity.as_str(),
        cat = rule.category.as_str(),
        restart = super::restart_text(rule.restart),
        why = prose(&rule.rationale),
        fix = prose(&rule.remediation),
    );
    if !rule.frameworks.is_empty() {
        let list: Vec<String> = rule
            .frameworks
            .iter()
            .map(|(f, ids)| format!("{} {}", escape(f), escape(&ids.join(", "))))
            .collect();
        let _ = write!(
            out,
            "<p class=\"muted\">Frameworks: {}</p>",
            list.join(" · ")
        );
    }
    if !rule.references.is_empty() {
        out.push_str("<p class=\"muted\">References: ");
        let links: Vec<String> = rule
            .references
            .iter()
            .map(|l| {
                format!(
                    "<a class=\"ref\" href=\"{0}\" rel=\"noreferrer\">{0}</a>",
                    escape(l)
                )
            })
            .collect();
        out.push_str(&links.join(" · "));
        out.push_str("</p>");
    }
    out.push_str("</article>\n");
}

pub fn render(scan: &Scan) -> String {
    let c = &scan.score.coverage;
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>esaudit report: {headline}</title><style>{STYLE}</style></head><body><main>\n\
         <header><div class=\"grade grade-{grade}\" aria-label=\"grade {grade}\">{grade}</div><div>\
         <h1>Elastic Stack security audit</h1>\
         <div class=\"big\">{headline}</div>\
         <div class=\"muted\">Profile {profile} · {targets} · {checks} checks judged: {passed} passed, {failed} failed · \
         {errors} could not be judged · {waived} waived · {na} not applicable</div>\
         <div class=\"muted\">Scanned {time} UTC by esaudit {version}</div></div></header>\n",
        grade = escape(scan.score.grade.as_deref().unwrap_or("none")),
        headline = escape(&scan.verdict()),
        profile = super::profile_name(scan),
        targets = match scan.targets.len() {
            1 => "1 target".to_string(),
            n => format!("{n} targets"),
        },
        checks = c.passed + c.failed,
        passed = c.passed,
        failed = c.failed,
        errors = c.errors,
        waived = c.waived,
        na = c.not_applicable,
        time = &scan.time.rfc3339()[..16].replace('T', " "),
        version = env!("CARGO_PKG_VERSION"),
    );
    if scan.incomplete() {
        let _ = write!(
            out,
            "<div class=\"banner\" role=\"alert\"><strong>Incomplete scan.</strong> What follows \
             covers only what could be read; fix these and scan again:<ul>"
        );
        for e in &scan.input_errors {
            let _ = write!(out, "<li>{}</li>", escape(&e.to_string()));
        }
        out.push_str("</ul></div>\n");
    }
    if matches!(scan.score.grade.as_deref(), Some("F" | "C")) {
        let worst = scan
            .results
            .iter()
            .filter(|r| r.status == Status::Fail)
            .map(|r| r.severity)
            .max();
        if let Some(s) = worst.filter(|s| *s >= crate::rules::Severity::High) {
            let _ = writeln!(
                out,
                "<p class=\"muted\">A {} failure caps the grade ({}), whatever the score.</p>",
                s.as_str(),
                if s == crate::rules::Severity::Critical {
                    "any critical failure gives F"
                } else {
                    "a high failure caps it at C"
                }
            );
        }
    }
    if !scan.score.categories.is_empty() {
        out.push_str("<h2>Categories</h2><div class=\"cats\">");
        for (name, cat) in &scan.score.categories {
            category_card(&mut out, name, cat.value, cat.passed, cat.failed);
        }
        out.push_str("</div>\n");
    }
    if !scan.waivers.is_empty() {
        out.push_str("<h2>Needs attention</h2><div class=\"note\"><ul>");
        for w in scan.waivers.all() {
            let _ = write!(
                out,
                "<li>Waiver <code>{}</code> for <code>{}</code>: {}</li>",
                escape(&w.source),
                escape(&w.rule),
                escape(&w.problem)
            );
        }
        out.push_str("</ul></div>\n");
    }
    // Filters: only the values that occur.
    let present = |f: &dyn Fn(&RuleResult) -> &'static str| -> BTreeSet<&'static str> {
        scan.results.iter().map(f).collect()
    };
    let sevs = present(&|r| r.severity.as_str());
    let cats = present(&|r| r.category.as_str());
    out.push_str("<h2 id=\"findings\">Findings</h2><div class=\"filters\">");
    out.push_str("<label>Severity <select id=\"f-sev\"><option value=\"\">any</option>");
    for s in super::SEVERITIES
        .iter()
        .filter(|s| sevs.contains(s.as_str()))
    {
        let _ = write!(out, "<option>{}</option>", s.as_str());
    }
    out.push_str("</select></label><label>Status <select id=\"f-status\">\
        <option value=\"open\" selected>fail or could not judge</option><option value=\"\">any</option>");
    for s in [
        Status::Fail,
        Status::Error,
        Status::Waived,
        Status::Pass,
        Status::NotApplicable,
    ] {
        let _ = write!(
            out,
            "<option value=\"{}\">{}</option>",
            s.as_str(),
            status_label(s)
        );
    }
    out.push_str(
        "</select></label><label>Category <select id=\"f-cat\"><option value=\"\">any</option>",
    );
    for cat in &cats {
        let _ = write!(out, "<option>{cat}</option>");
    }
    out.push_str(
        "</select></label><input type=\"search\" id=\"f-text\" placeholder=\"Filter by rule, target, setting or text\" aria-label=\"Filter text\">\
         <button class=\"reset\" id=\"f-reset\" type=\"button\">Reset</button><span id=\"count\" class=\"muted\"></span></div>\n",
    );
    out.push_str(
        "<table id=\"results\"><colgroup><col class=\"c1\"><col class=\"c2\"><col class=\"c3\"><col></colgroup>\
         <thead><tr><th>Severity</th><th>Rule and target</th><th>Where</th><th>Finding</th></tr></thead><tbody>\n",
    );
    let mut ordered: Vec<&RuleResult> = scan.results.iter().collect();
    ordered.sort_by_key(|r| (r.status, std::cmp::Reverse(r.severity), &r.rule, &r.target));
    // Results that could not be judged on one target for one reason share a row.
    let mut causes: std::collections::HashMap<(&str, &str), Vec<&str>> =
        std::collections::HashMap::new();
    for r in ordered.iter().filter(|r| r.status == Status::Error) {
        causes
            .entry((r.target.as_str(), r.message.as_str()))
            .or_default()
            .push(r.rule.as_str());
    }
    for r in ordered {
        if r.status != Status::Error {
            result_row(&mut out, r, &[]);
        } else if let Some(rules) = causes.remove(&(r.target.as_str(), r.message.as_str())) {
            result_row(&mut out, r, &rules[1..]);
        }
    }
    out.push_str(
        "</tbody></table><div id=\"empty\" hidden>No result matches these filters.</div>\n",
    );
    let failing: BTreeSet<&str> = scan
        .results
        .iter()
        .filter(|r| matches!(r.status, Status::Fail | Status::Waived | Status::Error))
        .map(|r| r.rule.as_str())
        .collect();
    out.push_str("<h2>Rules with findings</h2>\n");
    if failing.is_empty() {
        out.push_str("<p class=\"muted\">None: every rule that ran passed or did not apply.</p>\n");
    }
    for rule in scan
        .rules
        .iter()
        .filter(|r| failing.contains(r.id.as_str()))
    {
        rule_article(&mut out, rule);
    }
    let others: Vec<&Rule> = scan
        .rules
        .iter()
        .filter(|r| !failing.contains(r.id.as_str()))
        .collect();
    if !others.is_empty() {
        let _ = write!(
            out,
            "<details><summary>The other {} rules that ran</summary><div style=\"margin-top:10px\">",
            others.len()
        );
        for rule in others {
            rule_article(&mut out, rule);
        }
        out.push_str("</div></details>\n");
    }
    let _ = write!(
        out,
        "<footer>Score: each judged check weighs by severity (critical 10, high 5, medium 3, low 1, info 0); \
         a category scores the weight that passed over the weight judged. Checks that could not be judged, \
         were waived or do not apply are left out of the score.</footer>\n\
         </main><script>{SCRIPT}</script></body></html>\n"
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_and_escaping() {
        assert_eq!(
            prose("Set `a.b: <x>` & go"),
            "Set <code>a.b: &lt;x&gt;</code> &amp; go"
        );
        assert_eq!(prose("odd `tick"), "odd <code>tick</code>");
    }
}
