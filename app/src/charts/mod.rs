//! Charts of runs and jobs. The lines are plain data ([`Curve`], aligned into [`Row`]s here and
//! tested natively); [`chart`] draws them with leptos-chartistry.

pub mod chart;

/// Which kind of core a line is for: browser cores and chains are told apart by colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Core,
    Chain,
}

/// One line of a chart: its points in increasing x. A line is a staircase: its value holds
/// from one point until the next (results arrive in lumps, they are not interpolated).
#[derive(Debug, Clone, PartialEq)]
pub struct Curve {
    pub name: String,
    pub kind: Kind,
    pub points: Vec<(f64, f64)>,
}

impl Curve {
    pub fn new(name: impl Into<String>, kind: Kind) -> Self {
        Self {
            name: name.into(),
            kind,
            points: Vec::new(),
        }
    }

    /// Adds a point; one at an x already there replaces it (the later reading wins), one
    /// before the last is ignored (clocks only move on).
    pub fn push(&mut self, x: f64, y: f64) {
        match self.points.last_mut() {
            Some(last) if last.0 == x => last.1 = y,
            Some(last) if last.0 > x => {}
            _ => self.points.push((x, y)),
        }
    }

    /// The line's value at `x`: its last point at or before `x`; NaN (no data, drawn as a
    /// gap) before its first.
    pub fn at(&self, x: f64) -> f64 {
        let i = self.points.partition_point(|p| p.0 <= x);
        if i == 0 {
            f64::NAN
        } else {
            self.points[i - 1].1
        }
    }

    pub fn last(&self) -> Option<f64> {
        self.points.last().map(|p| p.1)
    }
}

/// One x of a chart and every line's value there.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub x: f64,
    pub ys: Vec<f64>,
}

/// The lines on one shared x axis: a row at every x any line has a point at, so each line's
/// steps land where they happened.
pub fn rows(curves: &[Curve]) -> Vec<Row> {
    let mut xs: Vec<f64> = curves
        .iter()
        .flat_map(|c| c.points.iter().map(|p| p.0))
        .filter(|x| x.is_finite())
        .collect();
    xs.sort_by(f64::total_cmp);
    xs.dedup();
    xs.into_iter()
        .map(|x| Row {
            x,
            ys: curves.iter().map(|c| c.at(x)).collect(),
        })
        .collect()
}

/// `name=last` per line, for tests and screen readers: what the chart ends at.
pub fn summary(curves: &[Curve]) -> String {
    curves
        .iter()
        .map(|c| match c.last() {
            Some(y) => format!("{}={y}", c.name),
            None => format!("{}=", c.name),
        })
        .collect::<Vec<_>>()
        .join(";")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn curve(name: &str, points: &[(f64, f64)]) -> Curve {
        let mut c = Curve::new(name, Kind::Chain);
        for &(x, y) in points {
            c.push(x, y);
        }
        c
    }

    #[test]
    fn lines_share_every_x_and_hold_their_value_between_points() {
        let a = curve("a", &[(0.0, 0.0), (2.0, 5.0)]);
        let b = curve("b", &[(1.0, 0.0), (3.0, 7.0)]);
        let rows = rows(&[a, b]);
        let xs: Vec<f64> = rows.iter().map(|r| r.x).collect();
        assert_eq!(xs, [0.0, 1.0, 2.0, 3.0]);
        assert_eq!(rows[0].ys[0], 0.0);
        assert!(
            rows[0].ys[1].is_nan(),
            "b has no data before its first point"
        );
        assert_eq!(rows[1].ys, [0.0, 0.0]);
        assert_eq!(rows[2].ys, [5.0, 0.0]);
        assert_eq!(rows[3].ys, [5.0, 7.0]);
    }

    #[test]
    fn a_point_at_the_same_x_replaces_and_one_in_the_past_is_dropped() {
        let c = curve("a", &[(0.0, 0.0), (1.0, 2.0), (1.0, 3.0), (0.5, 9.0)]);
        assert_eq!(c.points, [(0.0, 0.0), (1.0, 3.0)]);
        assert_eq!(c.at(0.99), 0.0);
        assert_eq!(c.at(10.0), 3.0);
        assert_eq!(summary(&[c, Curve::new("b", Kind::Core)]), "a=3;b=");
    }

    #[test]
    fn no_lines_or_no_points_make_no_rows() {
        assert!(rows(&[]).is_empty());
        assert!(rows(&[Curve::new("a", Kind::Core)]).is_empty());
    }
}
