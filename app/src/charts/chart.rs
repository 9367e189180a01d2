//! A staircase chart of [`Curve`]s on one x axis, drawn with leptos-chartistry: a title, both
//! axes with their units, a legend, a tooltip, and a sentence instead of empty axes.

use leptos::prelude::*;
use leptos_chartistry::{
    AspectRatio, AxisMarker, Chart, Colour, IntoEdge, IntoInner, Legend, Line, MarkerShape,
    RotatedLabel, Series, Step, TickLabels, Tooltip, XGridLine, XGuideLine, YGridLine,
};

use super::{Curve, Kind, Row, rows, summary};

// Browser cores in blues and greens, chains in oranges and reds: the two kinds read apart
// at a glance, and lines of one kind apart from each other.
const CORE_COLOURS: [Colour; 4] = [
    Colour::from_rgb(0x1f, 0x6f, 0xd1),
    Colour::from_rgb(0x12, 0x9e, 0x8a),
    Colour::from_rgb(0x5b, 0x4f, 0xd6),
    Colour::from_rgb(0x3a, 0x9d, 0x23),
];
const CHAIN_COLOURS: [Colour; 4] = [
    Colour::from_rgb(0xe0, 0x6c, 0x00),
    Colour::from_rgb(0xc8, 0x1e, 0x3c),
    Colour::from_rgb(0xb8, 0x86, 0x0b),
    Colour::from_rgb(0x9c, 0x27, 0xb0),
];

fn colour(kind: Kind, nth: usize) -> Colour {
    match kind {
        Kind::Core => CORE_COLOURS[nth % CORE_COLOURS.len()],
        Kind::Chain => CHAIN_COLOURS[nth % CHAIN_COLOURS.len()],
    }
}

/// The lines' names and kinds: the chart is only rebuilt when these change, not per point.
fn legend_of(curves: &[Curve]) -> Vec<(String, Kind)> {
    curves.iter().map(|c| (c.name.clone(), c.kind)).collect()
}

fn series_for(legend: Vec<(String, Kind)>, markers: bool) -> Series<Row, f64, f64> {
    let mut nth = [0usize; 2];
    let mut series = Series::new(|r: &Row| r.x).with_min_y(0.0);
    if !markers {
        series = series.with_min_x(0.0);
    }
    for (i, (name, kind)) in legend.into_iter().enumerate() {
        let k = &mut nth[kind as usize];
        let line = Line::new(move |r: &Row| r.ys.get(i).copied().unwrap_or(f64::NAN))
            .with_name(name)
            .with_colour(colour(kind, *k))
            .with_width(2.0);
        *k += 1;
        series = series.line(if markers {
            line.with_marker(MarkerShape::Circle)
        } else {
            line.with_interpolation(Step::Horizontal)
        });
    }
    series
}

/// A staircase's last step would sit on the chart's right edge: every line is held on a
/// little past the last point, so the last jump reads as a step.
fn padded(mut rows: Vec<Row>, markers: bool) -> Vec<Row> {
    if let (false, Some(last)) = (markers, rows.last().cloned()) {
        let x = if last.x > 0.0 { last.x * 1.08 } else { 1.0 };
        rows.push(Row { x, ys: last.ys });
    }
    rows
}

/// `title` over a chart of `curves`; `x_unit` and `y_unit` name the axes. With no points yet,
/// `empty` says why. `markers` draws each point and joins them straight (for a series of
/// runs) instead of as steps (for counts that jump).
#[component]
pub fn StepChart(
    #[prop(into)] curves: Signal<Vec<Curve>>,
    title: &'static str,
    x_unit: &'static str,
    y_unit: &'static str,
    empty: &'static str,
    testid: &'static str,
    #[prop(optional)] markers: bool,
) -> impl IntoView {
    let legend = Memo::new(move |_| curves.with(|c| legend_of(c)));
    let data = Signal::derive(move || curves.with(|c| padded(rows(c), markers)));
    let has_data = move || data.with(|d| !d.is_empty());
    let drawn = move || {
        let series = series_for(legend.get(), markers);
        view! {
            <Chart
                aspect_ratio=AspectRatio::from_env_width(220.0)
                font_height=12.0
                font_width=7.0
                series=series
                data=data
                left=vec![
                    RotatedLabel::middle(y_unit).into_edge(),
                    TickLabels::aligned_floats().with_min_chars(5).into_edge(),
                ]
                bottom=vec![
                    TickLabels::aligned_floats().into_edge(),
                    RotatedLabel::middle(x_unit).into_edge(),
                ]
                right=Legend::middle()
                inner=[
                    AxisMarker::left_edge().into_inner(),
                    AxisMarker::bottom_edge().into_inner(),
                    XGridLine::default().into_inner(),
                    YGridLine::default().into_inner(),
                    XGuideLine::over_data().into_inner(),
                ]
                tooltip=Tooltip::left_cursor()
            />
        }
    };
    view! {
        <figure class="chart" data-testid=testid
            data-series=move || curves.with(|c| summary(c))
            data-lines=move || legend.with(Vec::len).to_string()>
            <figcaption>{title}</figcaption>
            <Show when=has_data fallback=move || view! { <p class="muted chart-empty">{empty}</p> }>
                {drawn}
            </Show>
        </figure>
    }
}
