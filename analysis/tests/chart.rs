//! The session chart parses as XML and carries one group per bout, jump,
//! rein segment and symmetry stretch; titles are escaped; output is stable.

use analysis::chart::session_svg;
use analysis::report::{Jump, SessionAnalysis};

fn analysis_of_a_generated_ride() -> SessionAnalysis {
    let s = analysis::synth::generate(&analysis::synth::SynthConfig {
        seed: 11,
        minutes: 12.0,
        rate_hz: 100.0,
    });
    analysis::analyze(&s.recording).expect("valid")
}

/// Elements whose `class` list contains `class`.
fn count(doc: &roxmltree::Document, tag: &str, class: &str) -> usize {
    doc.descendants()
        .filter(|n| n.has_tag_name(tag))
        .filter(|n| {
            n.attribute("class")
                .is_some_and(|c| c.split_whitespace().any(|w| w == class))
        })
        .count()
}

#[test]
fn one_group_per_bout_jump_segment_and_stretch() {
    let mut a = analysis_of_a_generated_ride();
    // Whatever the generated ride holds, the chart must draw every jump.
    a.jumps.push(Jump {
        time_s: 30.0,
        flight_s: 0.31,
        rise_cm: 11.8,
        approach_cadence_spm: 98.0,
        strides_from_previous: None,
    });
    assert!(a.bouts.len() > 3, "a ride with several bouts");
    let svg = session_svg(&a, "ride.csv");
    let doc = roxmltree::Document::parse(&svg).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(
        root.tag_name().namespace(),
        Some("http://www.w3.org/2000/svg")
    );
    assert_eq!(count(&doc, "g", "bout"), a.bouts.len());
    assert_eq!(count(&doc, "g", "jump"), a.jumps.len());
    assert_eq!(count(&doc, "g", "rein-segment"), a.rein_timeline.len());
    assert_eq!(
        count(&doc, "g", "symmetry-stretch"),
        a.symmetry_stretches.len()
    );
    assert_eq!(count(&doc, "g", "gap"), a.quality.gaps.len());
    let leads = a.bouts.iter().filter(|b| b.gait.has_lead()).count();
    assert_eq!(count(&doc, "g", "lead"), leads);
    // Each bout's group is coloured by its gait and says what it is.
    for (node, bout) in doc
        .descendants()
        .filter(|n| n.attribute("class").is_some_and(|c| c.starts_with("bout ")))
        .zip(&a.bouts)
    {
        let class = node.attribute("class").unwrap_or_default();
        assert!(
            class.ends_with(&format!("gait-{}", bout.gait.name())),
            "{class}"
        );
        let tip = node
            .children()
            .find(|c| c.has_tag_name("title"))
            .and_then(|t| t.text())
            .unwrap_or_default();
        assert!(tip.starts_with(bout.gait.name()), "{tip}");
    }
    let jump_tip = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("jump"))
        .filter_map(|n| n.children().find(|c| c.has_tag_name("title")))
        .filter_map(|t| t.text())
        .find(|t| t.contains("0:30"))
        .expect("the added jump");
    assert!(jump_tip.contains("flight 310 ms"), "{jump_tip}");
}

#[test]
fn the_title_is_escaped_and_the_output_is_deterministic() {
    let a = analysis_of_a_generated_ride();
    let title = "Bella & <Max> \"arena\"";
    let svg = session_svg(&a, title);
    assert_eq!(svg, session_svg(&a, title), "same input, same bytes");
    let doc = roxmltree::Document::parse(&svg).expect("well-formed XML");
    let accessible = doc
        .descendants()
        .find(|n| n.attribute("id") == Some("chart-title"))
        .and_then(|n| n.text());
    assert_eq!(accessible, Some(title));
    assert!(!svg.contains("NaN") && !svg.contains("inf"));
}

#[test]
fn an_empty_analysis_still_draws() {
    let mut a = analysis_of_a_generated_ride();
    a.bouts.clear();
    a.jumps.clear();
    a.rein_timeline.clear();
    a.symmetry_stretches.clear();
    a.quality.duration_s = 0.0;
    let svg = session_svg(&a, "empty");
    let doc = roxmltree::Document::parse(&svg).expect("well-formed XML");
    assert_eq!(count(&doc, "g", "bout"), 0);
    assert!(!svg.contains("NaN"));
}

/// The trend of a generated horse: six weeks of 15–18 min sessions.
fn trend_of_a_generated_horse() -> trend::TrendDocument {
    let histories = analysis::synth::history::plan(1, 6, (15.0, 18.0), 7);
    let analysed = analysis::eval_trend::analyse_histories(&histories);
    let features: Vec<_> = analysed[0].iter().map(|a| a.features.clone()).collect();
    trend::compute(&features, &trend::TrendConfig::default())
}

#[test]
fn the_trend_chart_draws_every_week_point_and_alert() {
    let mut doc = trend_of_a_generated_horse();
    assert!(
        doc.volume.weekly.len() >= 5,
        "{} weeks",
        doc.volume.weekly.len()
    );
    // Whatever the generated horse raised, the chart must mark every alert.
    let day = doc.workload.daily[20].date.clone();
    doc.alerts.push(trend::Alert {
        id: format!("workload_spike:load:{day}"),
        kind: "workload_spike".into(),
        metric: "load".into(),
        severity: "high".into(),
        status: "open".into(),
        started_at: day.clone(),
        confirmed_at: day,
        cleared_at: None,
        message: "Workload jumped <2×> & more".into(),
        baseline: None,
        threshold: 1.5,
        evidence: Vec::new(),
    });
    let svg = analysis::chart::trend_svg(&doc, "Comet & <Co>");
    let xml = roxmltree::Document::parse(&svg).expect("well-formed XML");
    assert_eq!(count(&xml, "g", "week"), doc.volume.weekly.len());
    let turning = doc
        .volume
        .weekly
        .iter()
        .filter(|w| w.left_s + w.right_s > 0.0)
        .count();
    assert_eq!(count(&xml, "g", "week-rein"), turning);
    assert_eq!(count(&xml, "g", "alert"), doc.alerts.len());
    let points: usize = doc
        .quality
        .iter()
        .filter(|m| m.metric == "trot.min_diff_mm" || m.metric == "trot.max_diff_mm")
        .map(|m| m.points.len())
        .sum();
    assert!(points > 0, "trot symmetry measured");
    assert_eq!(count(&xml, "g", "point"), points);
    let bands = doc
        .quality
        .iter()
        .filter(|m| m.metric.starts_with("trot.m") && m.baseline.is_some())
        .count();
    assert_eq!(count(&xml, "g", "baseline-band"), bands);
    // The workload ratio is one path once the chronic window is full.
    if doc.workload.daily.iter().any(|d| d.ratio.is_some()) {
        assert_eq!(count(&xml, "path", "ratio"), 1);
    }
    // User text is escaped and comes back intact.
    let title = xml
        .descendants()
        .find(|n| n.attribute("id") == Some("chart-title"))
        .and_then(|n| n.text());
    assert_eq!(title, Some("Comet & <Co>"));
    assert!(svg.contains("Workload jumped &lt;2×&gt; &amp; more"));
    assert_eq!(
        svg,
        analysis::chart::trend_svg(&doc, "Comet & <Co>"),
        "deterministic"
    );
}

#[test]
fn an_empty_trend_still_draws() {
    let doc = trend::compute(&[], &trend::TrendConfig::default());
    let svg = analysis::chart::trend_svg(&doc, "New horse");
    let xml = roxmltree::Document::parse(&svg).expect("well-formed XML");
    assert_eq!(count(&xml, "g", "week"), 0);
}
