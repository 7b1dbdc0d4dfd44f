//! KPIs from grouped call records (STUB — being written).

use argos_model::CallAggRow;
use serde::Serialize;

/// KPIs of one time bucket for one dimension value.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct KpiPoint {
    pub ts_us: i64,
    pub attempts: u64,
    pub answered: u64,
    /// Answer-seizure ratio, % of attempts answered.
    pub asr: Option<f64>,
    /// Network effectiveness ratio, % (answered + user busy/no answer/rejection).
    pub ner: Option<f64>,
    /// Average call duration of answered calls, seconds.
    pub acd_s: Option<f64>,
    /// Average post-dial delay, ms.
    pub pdd_ms: Option<f64>,
}

/// One series: a dimension value and its points in time order.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct KpiSeries {
    pub key: String,
    pub points: Vec<KpiPoint>,
    pub total: KpiPoint,
}

pub fn compute(rows: &[CallAggRow]) -> Vec<KpiSeries> {
    let _ = rows;
    Vec::new()
}
