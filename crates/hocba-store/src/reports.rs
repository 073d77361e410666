//! The coverage reports, counted by the database: each rule becomes SQL.
//!
//! # How a rule becomes SQL
//!
//! [`hocba_domain::compliance::evaluate`] says, for one official, where they stand against every
//! rule. A report asks the same of a whole population at once, so the store writes, for each
//! rule a report counts, one block of common table expressions generated from the rule's data
//! (its conditions, its categories, its minimum days and its period), each step the SQL twin of
//! one step of the evaluation:
//!
//! | evaluation (`compliance.rs`, `standards.rs`) | SQL (this file) |
//! |---|---|
//! | periods in effect covering the date | `cur`: no period supersedes it, `valid_from <= d <= valid_to` |
//! | `Rule::applies`: every condition holds for a current period; the first such is `held` | `held_i`: the conditions as `IN` lists, `ROW_NUMBER()` over `(valid_from, id)` |
//! | completions that count: live (not superseded, an unrevoked certificate), ended by the date | `live` |
//! | `Rule::accepts`, minus every exclusion in force naming the rule's kind | `got_i`: `category = code` or `SUBSTR(category, 1, n) = prefix`, `AND NOT (…)` |
//! | a refresher counts its period only | `got_i`: `ended_on >= period start`, computed in Rust by the domain's own period arithmetic |
//! | `appointed_on`: the unbroken run of periods at the same leadership level | `chain_i`: a recursive CTE, the minimum of its starts |
//! | the status: met / due / missing | `st_i`: one `CASE`, by the rule's kind |
//!
//! How the database reads the rows is the store's business, not the rule's: on PostgreSQL each
//! check of a completion's certificate is a lookup by index, and a subtree's report reads its
//! officials' periods official by official (`LATERAL`), so that a province's report does not
//! read the country's rows ([`by_official`]).
//!
//! The rule's *data* is bound as parameters; only the shape of the SQL follows its kind, as the
//! evaluation's code does. Rule logic therefore lives in one place conceptually (the domain's
//! rule kinds), written twice, and a test (`tests/e2e/reports.rs`) builds a registry of varied
//! officials and checks on SQLite and PostgreSQL that every count of every report equals the sum
//! of what `evaluate` says per official. A new rule kind changes both, and that test.
//!
//! The database returns counts per requirement, group and status; officials are never loaded,
//! except the page of names of a missing list, whose reading is logged for each official listed.

use hocba_domain::compliance::period_around;
use hocba_domain::reports::{AGE_BANDS, Breakdown, ReportId, born_by, indicators};
use hocba_domain::standards::{CategoryPattern, Condition, Period};
use hocba_domain::{
    AdministrativeLevel, AgencyCode, OfficialId, PersonName, RequirementStatus, Rule, RuleKind,
};
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, Statement, Value};
use time::{Date, Duration};
use uuid::Uuid;

use crate::agencies::reach;
use crate::officials::read_row;
use crate::{Actor, Page, PageRequest, Store, StoreError};

/// Whose officials a report counts.
#[derive(Debug, Clone, Default)]
pub struct ReportScope {
    /// Officials holding, on the date, a period at one of these agencies (`None`: everyone).
    pub agencies: Option<Vec<AgencyCode>>,
    /// Officials holding, on the date, a period at an agency of this administrative level.
    pub level: Option<AdministrativeLevel>,
}

impl ReportScope {
    /// Whether the scope is everyone holding a period on the date (no agency, no level).
    fn is_everyone(&self) -> bool {
        self.agencies.is_none() && self.level.is_none()
    }
}

/// One count of a report before suppression: officials whose status against `requirement` is
/// `status`, in `group` of the breakdown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    /// The rule's id, or `None` for the row of officials meeting every requirement.
    pub requirement: Option<String>,
    /// The group of the breakdown (`None` without one).
    pub group: Option<String>,
    /// The status counted.
    pub status: RequirementStatus,
    /// How many officials.
    pub officials: u64,
    /// Their days of training counted toward the requirement.
    pub days: u64,
}

/// A report's counts, with the rules they are about.
#[derive(Debug, Clone)]
pub struct ReportCounts {
    /// The rules counted, in the order of the report's rows.
    pub rules: Vec<Rule>,
    /// The counts, per breakdown asked (`None`: the totals).
    pub tallies: Vec<(Option<Breakdown>, Vec<Tally>)>,
}

/// Which missing list: the officials in `scope` not meeting `requirement` (a rule `report`
/// counts) on `as_of`.
#[derive(Debug, Clone)]
pub struct MissingQuery {
    /// The report.
    pub report: ReportId,
    /// The rule's id.
    pub requirement: String,
    /// The day.
    pub as_of: Date,
    /// Whose officials.
    pub scope: ReportScope,
}

/// An official listed as missing a requirement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingOfficial {
    /// Hocba's id.
    pub id: OfficialId,
    /// Full name.
    pub full_name: PersonName,
    /// `due` or `missing`.
    pub status: RequirementStatus,
    /// Days counted toward the requirement so far.
    pub days_counted: u64,
}

/// A SQL text with its parameters, in the placeholder style of the backend.
struct Sql {
    text: String,
    values: Vec<Value>,
    backend: DbBackend,
}

impl Sql {
    fn new(backend: DbBackend) -> Self {
        Sql { text: String::new(), values: Vec::new(), backend }
    }

    fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder bound to `value`.
    fn bind(&mut self, value: impl Into<Value>) -> &mut Self {
        self.values.push(value.into());
        match self.backend {
            DbBackend::Postgres => {
                let n = self.values.len();
                self.text.push_str(&format!("${n}"));
            }
            _ => self.text.push('?'),
        }
        self
    }

    /// `column IN (…)` over `values` (never empty: a rule's condition lists at least one).
    fn in_list<V: Into<Value>>(&mut self, column: &str, values: impl IntoIterator<Item = V>) {
        self.push(column).push(" IN (");
        for (index, value) in values.into_iter().enumerate() {
            if index > 0 {
                self.push(", ");
            }
            self.bind(value);
        }
        self.push(")");
    }

    /// Whether `column` (a category code) matches one of `patterns`, as
    /// [`CategoryPattern::matches`] does.
    fn matches_any(&mut self, column: &str, patterns: &[CategoryPattern]) {
        self.push("(");
        for (index, pattern) in patterns.iter().enumerate() {
            if index > 0 {
                self.push(" OR ");
            }
            match pattern.as_str().strip_suffix('*') {
                Some("") => {
                    self.push("1 = 1");
                }
                Some(prefix) => {
                    let length = prefix.chars().count();
                    self.push(&format!("SUBSTR({column}, 1, {length}) = ")).bind(prefix.to_owned());
                }
                None => {
                    self.push(&format!("{column} = ")).bind(pattern.as_str().to_owned());
                }
            }
        }
        self.push(")");
    }

    fn statement(self) -> Statement {
        Statement::from_sql_and_values(self.backend, self.text, self.values)
    }
}

/// The day after `column`, in the backend's date arithmetic.
fn next_day(backend: DbBackend, column: &str) -> String {
    match backend {
        DbBackend::Postgres => format!("({column} + 1)"),
        _ => format!("date({column}, '+1 day')"),
    }
}

/// Above this many rules, a report computes its population and their completions once.
const MATERIALIZE_FROM: usize = 3;

/// The common table expressions every report starts with: `cur` (periods in effect on the
/// date), `pop` (the officials in scope) and `live` (their completions that count on the date).
/// For more than [`MATERIALIZE_FROM`] rules each is computed once (`MATERIALIZED`, SQLite 3.35
/// and PostgreSQL 12 on) and read by every rule: SQLite otherwise ran `live`'s lookups again for
/// some of them (RPT-STD over 100,000 officials: 22 s against 5.7 s). For a few rules, reading
/// only the completions they ask for is faster (RPT-145: 2.1 s against 3.7 s).
///
/// `live` holds only the completions of a programme whose category one of `rules` accepts
/// (`programs`, bound by id): each rule's step reads those alone, and most completions are of
/// other categories (legal updates, languages, IT), so the index and the certificate checks
/// handle a fraction of the rows (RPT-STD over 200,000 generated officials and 4,000,000
/// completions on PostgreSQL: 11 s -> 1.5 s nationally, docs/benchmarks).
fn population(sql: &mut Sql, as_of: Date, scope: &ReportScope, rules: &[Rule], programs: &[Uuid]) {
    let once = if rules.len() > MATERIALIZE_FROM { "MATERIALIZED " } else { "" };
    let columns = "e.id, e.official_id, e.agency_code, e.level, e.rank_code, e.leadership_level, \
                   e.leadership_group, e.valid_from";
    if by_official(sql.backend, scope) {
        // The officials in scope by the agency index, then each one's periods by the official
        // index: a province's report reads its own officials' rows, not the country's.
        sql.push(&format!(
            "WITH RECURSIVE cur AS MATERIALIZED (SELECT {columns} FROM (SELECT DISTINCT \
             x.official_id FROM employments x WHERE "
        ));
        in_effect(sql, "x", as_of, true);
        in_scope(sql, "x", scope);
        sql.push(&format!(
            ") AS o CROSS JOIN LATERAL (SELECT {columns} FROM employments e WHERE \
             e.official_id = o.official_id AND "
        ));
        in_effect(sql, "e", as_of, true);
        sql.push(" OFFSET 0) AS e");
    } else {
        sql.push(&format!(
            "WITH RECURSIVE cur AS {once}(SELECT {columns} FROM employments e WHERE "
        ));
        in_effect(sql, "e", as_of, false);
        if !scope.is_everyone() {
            // The periods of the officials in scope only (found by the agency index): `pop` is
            // then every official of `cur`, and nothing after needs to filter by it.
            sql.push(" AND e.official_id IN (SELECT x.official_id FROM employments x WHERE ");
            in_effect(sql, "x", as_of, false);
            in_scope(sql, "x", scope);
            sql.push(")");
        }
    }
    sql.push(&format!("), pop AS {once}(SELECT DISTINCT official_id FROM cur c WHERE 1 = 1"));
    in_scope(sql, "c", scope);
    // `counted`: the completions of the population that a rule may count, not superseded;
    // `live`: those whose certificate stands. PostgreSQL computes `counted` first, so that it
    // checks the certificates of these completions only.
    let counted = if sql.backend == DbBackend::Postgres { "MATERIALIZED " } else { once };
    sql.push(&format!(
        "), counted AS {counted}(SELECT c.id, c.official_id, c.ended_on, p.category_code AS category, \
         CASE WHEN c.duration_days > 0 THEN c.duration_days ELSE 0 END AS days \
         FROM completions c JOIN programs p ON p.id = c.program_id WHERE "
    ));
    if !scope.is_everyone() {
        sql.push("c.official_id IN (SELECT official_id FROM pop) AND ");
    }
    sql.push("c.ended_on <= ").bind(as_of);
    // The programmes by id, so that the database reads their completions by index
    // (completions_by_program_counted) instead of every completion of the country.
    sql.push(" AND ");
    if programs.is_empty() {
        sql.push("1 = 0");
    } else {
        sql.in_list("c.program_id", programs.iter().copied());
    }
    // On PostgreSQL, `OFFSET 0` keeps both checks lookups by index, one per counted completion,
    // made in the order of the completions' ids so that consecutive lookups read the same
    // pages of the certificates' index (1,000,000 officials: 3.7 s -> 1.4 s). As joins, with
    // nested loops off (`plan_for_counting`), PostgreSQL hashed every certificate of the
    // country (200,000 officials: 4.8 of the national report's 8 s); and the revocations'
    // hash, built again for every completion once it outgrew `work_mem` (1,000,000
    // officials), kept the national report from finishing in ten minutes.
    let (counted_rows, lookup) = if sql.backend == DbBackend::Postgres {
        ("(SELECT * FROM counted ORDER BY id)", " OFFSET 0")
    } else {
        ("counted", "")
    };
    // `IS NOT NULL` lets PostgreSQL skip the index entries of the completions that correct
    // nothing, nearly all of them.
    sql.push(&format!(
        " AND NOT EXISTS (SELECT 1 FROM completions n WHERE n.supersedes_id = c.id \
         AND n.supersedes_id IS NOT NULL)), live AS {once}(SELECT c.official_id, c.ended_on, \
         c.category, c.days FROM {counted_rows} AS c WHERE EXISTS (SELECT 1 FROM certificates k \
         WHERE k.completion_id = c.id AND NOT EXISTS (SELECT 1 FROM certificate_revocations r \
         WHERE r.certificate_id = k.id{lookup}){lookup}))"
    ));
}

/// Whether the report's steps read an official's rows by index, one official at a time.
///
/// On PostgreSQL, for a subtree: nested loops are off (`plan_for_counting`), so any join with
/// `employments` scans all of it, the country's periods for a province's report; and with
/// them on, the planner, which cannot estimate a CTE's rows, rescanned one CTE per row of
/// another (a province over 200,000 officials: 3.3 s). A `LATERAL` subquery with `OFFSET 0`
/// is a lookup per row whatever the settings. SQLite has no `LATERAL`, and plans these joins
/// with indexes already.
fn by_official(backend: DbBackend, scope: &ReportScope) -> bool {
    backend == DbBackend::Postgres && !scope.is_everyone()
}

/// `{alias}` (a row of `employments`) is in effect on `as_of`: it covers the day and no later
/// period supersedes it. With `per_row` (PostgreSQL only), the supersession is looked up by
/// index for each row; otherwise it is left to the planner, which joins it with the whole
/// table's, the better way when the whole table is read (the national report).
///
/// An open end is written `COALESCE(valid_to, day)`, one condition: as `valid_to IS NULL OR
/// valid_to >= day`, two, PostgreSQL read `employments_by_agency_dates` as two bitmaps and
/// then fetched every period's row from the table, where one scan of the index alone answers.
fn in_effect(sql: &mut Sql, alias: &str, as_of: Date, per_row: bool) {
    sql.push(&format!("{alias}.valid_from <= ")).bind(as_of);
    sql.push(&format!(" AND COALESCE({alias}.valid_to, ")).bind(as_of).push(") >= ").bind(as_of);
    let lookup = if per_row { " OFFSET 0" } else { "" };
    sql.push(&format!(
        " AND NOT EXISTS (SELECT 1 FROM employments s WHERE s.supersedes_id = {alias}.id{lookup})"
    ));
}

/// `AND` `{alias}.official_id` holds a period in effect `today` at one of `staff`. An HR
/// department reads the records of its staff of today (`may_read`), so its list of another day
/// names only those still on its staff; those who have left are counted in the report and named
/// on the operator's lists. On PostgreSQL, `OFFSET 0` keeps it a lookup by index per official
/// listed, where nested loops are off (`plan_for_counting`).
fn still_on_staff(sql: &mut Sql, alias: &str, staff: &[AgencyCode], today: Date) {
    let per_row = sql.backend == DbBackend::Postgres;
    sql.push(&format!(
        " AND EXISTS (SELECT 1 FROM employments t WHERE t.official_id = {alias}.official_id AND "
    ));
    in_effect(sql, "t", today, per_row);
    sql.push(" AND ");
    sql.in_list("t.agency_code", staff.iter().map(|code| code.as_str().to_owned()));
    sql.push(if per_row { " OFFSET 0)" } else { ")" });
}

/// `AND` the conditions of `scope` on `{alias}` (a period in effect).
fn in_scope(sql: &mut Sql, alias: &str, scope: &ReportScope) {
    if let Some(agencies) = &scope.agencies {
        sql.push(" AND ");
        if agencies.is_empty() {
            sql.push("1 = 0");
        } else {
            let codes = agencies.iter().map(|code| code.as_str().to_owned());
            sql.in_list(&format!("{alias}.agency_code"), codes);
        }
    }
    if let Some(level) = scope.level {
        sql.push(&format!(" AND {alias}.level = ")).bind(level.as_str().to_owned());
    }
}

/// The CTEs of rule number `i`, ending with `st_i (official_id, status, days)`: the status of
/// every official of `scope` the rule applies to. `exclusions` are the exclusion rules counted.
fn rule_status(
    sql: &mut Sql,
    i: usize,
    rule: &Rule,
    exclusions: &[Rule],
    as_of: Date,
    scope: &ReportScope,
) {
    let per_row = by_official(sql.backend, scope);
    // held_i: the first current period (by valid_from, id) the rule applies to.
    sql.push(&format!(
        ", held_{i} AS (SELECT h.official_id, h.valid_from, h.leadership_level FROM \
         (SELECT cur.official_id, cur.valid_from, cur.leadership_level, ROW_NUMBER() OVER \
         (PARTITION BY cur.official_id ORDER BY cur.valid_from, cur.id) AS n FROM cur WHERE 1 = 1"
    ));

    for condition in &rule.conditions {
        sql.push(" AND ");
        match condition {
            Condition::Group(groups) => {
                sql.in_list("cur.leadership_group", groups.iter().map(|g| g.as_str().to_owned()))
            }
            Condition::Rank(ranks) => sql.in_list("cur.rank_code", ranks.iter().cloned()),
            Condition::Leadership(levels) => {
                sql.in_list("cur.leadership_level", levels.iter().map(|l| l.as_str().to_owned()))
            }
            Condition::Level(levels) => {
                sql.in_list("cur.level", levels.iter().map(|l| l.as_str().to_owned()))
            }
            // Only exclusions name a kind, and they are not counted.
            Condition::Kind(_) => {
                sql.push("1 = 0");
            }
        }
    }
    sql.push(") AS h WHERE h.n = 1)");

    // got_i: the completions that count toward it, per official.
    sql.push(&format!(
        ", got_{i} AS (SELECT l.official_id, COUNT(*) AS n, SUM(l.days) AS days FROM live l WHERE "
    ));
    sql.matches_any("l.category", &rule.any_of);
    let excluded: Vec<CategoryPattern> = exclusions
        .iter()
        .filter(|other| other.kind == RuleKind::Exclusion && other.validity.covers(as_of))
        .filter(|other| other.conditions.contains(&Condition::Kind(rule.kind)))
        .flat_map(|other| other.any_of.iter().cloned())
        .collect();
    if !excluded.is_empty() {
        sql.push(" AND NOT ");
        sql.matches_any("l.category", &excluded);
    }
    if let Period::Every { years, anchor } = rule.period {
        let (start, _) = period_around(anchor, years, as_of);
        sql.push(" AND l.ended_on >= ").bind(start);
    }
    sql.push(" GROUP BY l.official_id)");

    if let Period::Appointment { .. } = rule.period {
        // chain_i: the starts of the unbroken run of periods at the held leadership level.
        let next = next_day(sql.backend, "e.valid_to");
        let (periods, lookup) = if per_row {
            ("CROSS JOIN LATERAL (SELECT e.valid_from FROM employments e WHERE", " OFFSET 0")
        } else {
            ("CROSS JOIN employments e WHERE", "")
        };
        sql.push(&format!(
            ", chain_{i} (official_id, lvl, start) AS (SELECT official_id, leadership_level, \
             valid_from FROM held_{i} UNION SELECT ch.official_id, ch.lvl, e.valid_from FROM \
             chain_{i} ch {periods} e.official_id = ch.official_id AND NOT EXISTS (SELECT 1 \
             FROM employments s WHERE s.supersedes_id = e.id{lookup}) AND (e.leadership_level \
             = ch.lvl OR (e.leadership_level IS NULL AND ch.lvl IS NULL)) AND e.valid_from < \
             ch.start AND e.valid_to IS NOT NULL AND {next} >= ch.start AND e.valid_from <= "
        ))
        .bind(as_of);
        if per_row {
            sql.push(" OFFSET 0) AS e");
        }
        sql.push(&format!(
            "), appointed_{i} AS (SELECT official_id, MIN(start) AS appointed FROM chain_{i} \
             GROUP BY official_id)"
        ));
    }

    sql.push(&format!(", st_{i} AS (SELECT h.official_id, CASE WHEN COALESCE(g.n, 0) > 0"));
    match rule.period {
        Period::Every { .. } => {
            let minimum = i64::from(rule.minimum_days.unwrap_or(0));
            sql.push(" AND COALESCE(g.days, 0) >= ")
                .bind(minimum)
                .push(" THEN 'met' ELSE 'due' END");
        }
        Period::Appointment { grace_days } => {
            let latest = as_of.saturating_sub(Duration::days(i64::from(grace_days)));
            sql.push(" THEN 'met' WHEN a.appointed >= ")
                .bind(latest)
                .push(" THEN 'due' ELSE 'missing' END");
        }
        Period::Once | Period::None => {
            sql.push(" THEN 'met' ELSE 'missing' END");
        }
    }
    sql.push(&format!(
        " AS status, COALESCE(g.days, 0) AS days FROM held_{i} h LEFT JOIN got_{i} g \
         ON g.official_id = h.official_id"
    ));
    if let Period::Appointment { .. } = rule.period {
        sql.push(&format!(" LEFT JOIN appointed_{i} a ON a.official_id = h.official_id"));
    }
    sql.push(")");
}

/// The SQL expression of an official's group in `breakdown` (`o` is the official's row).
fn group_expression(sql: &mut Sql, breakdown: Option<Breakdown>, as_of: Date) {
    match breakdown {
        None => {
            sql.push("''");
        }
        Some(Breakdown::Gender) => {
            sql.push("o.gender");
        }
        Some(Breakdown::Ethnicity) => {
            sql.push(
                "CASE WHEN o.ethnicity_code IS NULL THEN 'unknown' WHEN o.ethnicity_code = 1 \
                 THEN 'kinh' ELSE 'minority' END",
            );
        }
        Some(Breakdown::AgeBand) => {
            sql.push("CASE");
            for (age, group) in AGE_BANDS.iter().rev() {
                sql.push(" WHEN o.date_of_birth <= ").bind(born_by(as_of, *age));
                sql.push(&format!(" THEN '{group}'"));
            }
            sql.push(" ELSE 'under_35' END");
        }
    }
}

fn status_of(text: &str) -> Result<RequirementStatus, StoreError> {
    match text {
        "met" => Ok(RequirementStatus::Met),
        "due" => Ok(RequirementStatus::Due),
        "missing" => Ok(RequirementStatus::Missing),
        _ => Err(StoreError::corrupt("report", "status")),
    }
}

fn count(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

/// What a report counts: its rules over a scope as of a day.
#[derive(Clone, Copy)]
struct Counting<'a> {
    rules: &'a [Rule],
    /// The programmes whose category one of `rules` accepts ([`counted_programs`]).
    programs: &'a [Uuid],
    /// The exclusion rules applied.
    exclusions: &'a [Rule],
    as_of: Date,
    scope: &'a ReportScope,
}

/// The ids of the programmes whose category one of `rules` accepts: the only completions a
/// report reads.
async fn counted_programs(
    db: &impl ConnectionTrait,
    rules: &[Rule],
) -> Result<Vec<Uuid>, StoreError> {
    let programs = crate::entities::program::Entity::find().all(db).await?;
    Ok(accepted_programs(rules, programs.into_iter().map(|p| (p.id, p.category_code))))
}

fn accepted_programs(
    rules: &[Rule],
    programs: impl IntoIterator<Item = (Uuid, String)>,
) -> Vec<Uuid> {
    programs
        .into_iter()
        .filter(|(_, category)| {
            rules.iter().flat_map(|rule| &rule.any_of).any(|pattern| pattern.matches(category))
        })
        .map(|(id, _)| id)
        .collect()
}

/// The statement of [`tally`].
fn tally_sql(
    backend: DbBackend,
    counting: &Counting<'_>,
    breakdown: Option<Breakdown>,
    all_row: bool,
) -> Sql {
    let Counting { rules, programs, exclusions, as_of, scope } = *counting;
    let mut sql = Sql::new(backend);
    population(&mut sql, as_of, scope, rules, programs);
    for (i, rule) in rules.iter().enumerate() {
        rule_status(&mut sql, i, rule, exclusions, as_of, scope);
    }
    sql.push(", statuses (req, official_id, status, days) AS (");
    for i in 0..rules.len() {
        sql.push(&format!(
            "SELECT CAST({i} AS BIGINT), official_id, status, days FROM st_{i} UNION ALL "
        ));
    }
    // An official with no requirement meets them all, as their compliance's `all_met` says.
    if all_row && !rules.is_empty() {
        sql.push(
            "SELECT CAST(-1 AS BIGINT), p.official_id, CASE MAX(CASE s.status WHEN 'missing' THEN 2 WHEN 'due' \
             THEN 1 ELSE 0 END) WHEN 2 THEN 'missing' WHEN 1 THEN 'due' ELSE 'met' END, 0 FROM pop p \
             LEFT JOIN (",
        );
        for i in 0..rules.len() {
            if i > 0 {
                sql.push(" UNION ALL ");
            }
            sql.push(&format!("SELECT official_id, status FROM st_{i}"));
        }
        sql.push(") s ON s.official_id = p.official_id GROUP BY p.official_id UNION ALL ");
    }
    // Closes the UNION ALL chain with a select of no rows.
    sql.push(
        "SELECT CAST(-2 AS BIGINT), official_id, 'met', 0 FROM pop WHERE 1 = 0) SELECT s.req, ",
    );
    group_expression(&mut sql, breakdown, as_of);
    sql.push(
        " AS grp, s.status, COUNT(*) AS officials, CAST(SUM(s.days) AS BIGINT) AS days FROM \
         statuses s",
    );
    // Only a breakdown reads the officials' own rows (1,000,000 officials: 0.4 s of joining).
    if breakdown.is_some() {
        sql.push(" JOIN officials o ON o.id = s.official_id");
    }
    sql.push(" GROUP BY 1, 2, 3");
    sql
}

/// Counts, in one statement, the statuses of every official in scope against every rule of
/// `rules`, per group of `breakdown`; with `all_row`, also the officials meeting all of them.
async fn tally(
    db: &impl ConnectionTrait,
    counting: &Counting<'_>,
    breakdown: Option<Breakdown>,
    all_row: bool,
) -> Result<Vec<Tally>, StoreError> {
    let rules = counting.rules;
    let sql = tally_sql(db.get_database_backend(), counting, breakdown, all_row);
    let rows = db.query_all_raw(sql.statement()).await?;
    rows.into_iter()
        .map(|row| {
            let req: i64 = row.try_get_by_index(0)?;
            let group: String = row.try_get_by_index(1)?;
            let status: String = row.try_get_by_index(2)?;
            let officials: i64 = row.try_get_by_index(3)?;
            let days: Option<i64> = row.try_get_by_index(4)?;
            let requirement = match usize::try_from(req) {
                Ok(index) => Some(
                    rules
                        .get(index)
                        .ok_or_else(|| StoreError::corrupt("report", "requirement"))?
                        .id
                        .clone(),
                ),
                Err(_) => None,
            };
            Ok(Tally {
                requirement,
                group: breakdown.map(|_| group),
                status: status_of(&status)?,
                officials: count(officials),
                days: count(days.unwrap_or(0)),
            })
        })
        .collect()
}

/// The memory a report's sorts and hashes may each use before spilling to disk: a few of them
/// at once, for a report or two at a time on a server with gigabytes for its page cache.
const REPORT_WORK_MEM: &str = "SET LOCAL work_mem = '64MB'";

/// Sets PostgreSQL's planner for a report, for the rest of the transaction.
///
/// - No nested loops. The planner cannot estimate the rows of the common table expressions,
///   guesses a few hundred, and joins them by nested loops: RPT-STD over 100,000 officials took
///   58 s so, and 2.3 s with hash joins (scripts/bench_reports.py); a province's over 200,000
///   officials 3.3 s, most of it rescanning one expression for each row of another.
/// - No JIT compilation: the report's statement is long, and compiling it took 3.5-4.5 s of a
///   national report's 8-16 s over 200,000 officials, more than it saved (docs/benchmarks).
/// - Memory for sorting and hashing: a national report sorts and hashes a row per official
///   several times (1,000,000 officials: 1 s of it spilled to disk with the default 4 MB).
///
/// SQLite plans these joins with automatic indexes.
async fn plan_for_counting(txn: &sea_orm::DatabaseTransaction) -> Result<(), StoreError> {
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_unprepared("SET LOCAL enable_nestloop = off").await?;
        txn.execute_unprepared("SET LOCAL jit = off").await?;
        txn.execute_unprepared(REPORT_WORK_MEM).await?;
    }
    Ok(())
}

/// The tallies of a breakdown's groups summed per requirement and status.
fn totals_of(groups: &[Tally]) -> Vec<Tally> {
    let mut totals: Vec<Tally> = Vec::new();
    for tally in groups {
        let same = |total: &&mut Tally| {
            total.requirement == tally.requirement && total.status == tally.status
        };
        match totals.iter_mut().find(same) {
            Some(total) => {
                total.officials += tally.officials;
                total.days += tally.days;
            }
            None => totals.push(Tally { group: None, ..tally.clone() }),
        }
    }
    totals
}

impl Store {
    /// The agencies a key for `root` reaches (`root` and, with `include_subunits`, every
    /// agency below it): the scope of a report.
    pub async fn agencies_reached(
        &self,
        root: &AgencyCode,
        include_subunits: bool,
    ) -> Result<Vec<AgencyCode>, StoreError> {
        reach(&self.db, root, include_subunits).await
    }

    /// The counts of `report` as of `as_of` over `scope`: the totals and, per breakdown in
    /// `breakdowns`, per group.
    pub async fn report_counts(
        &self,
        report: ReportId,
        as_of: Date,
        scope: &ReportScope,
        breakdowns: &[Breakdown],
    ) -> Result<ReportCounts, StoreError> {
        // One read transaction: every count sees the same registry.
        let txn = self.read().await?;
        plan_for_counting(&txn).await?;
        let stored = crate::standards::stored_rules(&txn).await?;
        let rules = report.rules(&stored, &indicators(), as_of);
        let exclusions = if report.applies_exclusions() { stored } else { Vec::new() };
        let programs = counted_programs(&txn, &rules).await?;
        let counting =
            Counting { rules: &rules, programs: &programs, exclusions: &exclusions, as_of, scope };
        let all_row = report.has_all_row();
        let mut tallies = Vec::new();
        for breakdown in breakdowns {
            let counted = tally(&txn, &counting, Some(*breakdown), all_row).await?;
            tallies.push((Some(*breakdown), counted));
        }
        // A breakdown's groups part the population: the totals are their sums, and the
        // database need not count them again.
        let totals = match tallies.first() {
            Some((_, groups)) => totals_of(groups),
            None => tally(&txn, &counting, None, all_row).await?,
        };
        txn.commit().await?;
        tallies.insert(0, (None, totals));
        Ok(ReportCounts { rules, tallies })
    }

    /// The officials of a [`MissingQuery`], by id, a page at a time. A list of names is personal
    /// data: the read is logged for each official listed, as a read of their record.
    pub async fn report_missing(
        &self,
        reader: &Actor,
        purpose: &str,
        query: &MissingQuery,
        page: PageRequest,
    ) -> Result<Page<MissingOfficial>, StoreError> {
        let MissingQuery { report, requirement, as_of, scope } = query;
        let (report, as_of) = (*report, *as_of);
        let txn = self.read().await?;
        plan_for_counting(&txn).await?;
        let stored = crate::standards::stored_rules(&txn).await?;
        let rules = report.rules(&stored, &indicators(), as_of);
        let rule =
            rules.iter().find(|rule| rule.id == *requirement).ok_or_else(|| StoreError::Rule {
                field: "requirement",
                reason: format!(
                    "{} counts no requirement {requirement} on {as_of}",
                    report.as_str()
                ),
            })?;
        let exclusions = if report.applies_exclusions() { stored.clone() } else { Vec::new() };
        let mut sql = Sql::new(txn.get_database_backend());
        let rules = std::slice::from_ref(rule);
        let programs = counted_programs(&txn, rules).await?;
        population(&mut sql, as_of, scope, rules, &programs);
        rule_status(&mut sql, 0, rule, &exclusions, as_of, scope);
        sql.push(
            " SELECT s.official_id, o.full_name, s.status, s.days FROM st_0 s JOIN officials o \
             ON o.id = s.official_id WHERE s.status <> 'met'",
        );
        let today = crate::today();
        if let Actor::Agency { agency_code, include_subunits, .. } = reader
            && as_of != today
        {
            let staff = reach(&txn, agency_code, *include_subunits).await?;
            still_on_staff(&mut sql, "s", &staff, today);
        }
        if let Some(after) = page.after {
            sql.push(" AND s.official_id > ").bind(after);
        }
        let limit = i64::try_from(page.limit.saturating_add(1)).unwrap_or(i64::MAX);
        sql.push(" ORDER BY s.official_id LIMIT ").bind(limit);
        let rows = txn.query_all_raw(sql.statement()).await?;
        let mut listed = Vec::with_capacity(rows.len());
        for row in rows {
            let id: Uuid = row.try_get_by_index(0)?;
            let name: String = row.try_get_by_index(1)?;
            let status: String = row.try_get_by_index(2)?;
            let days: i64 = row.try_get_by_index(3)?;
            listed.push((id, name, status, days));
        }
        let page = Page::from_rows(
            listed,
            page,
            |(id, ..)| *id,
            |(id, name, status, days)| {
                Ok(MissingOfficial {
                    id: OfficialId::from_uuid(id),
                    full_name: PersonName::parse(&name)
                        .map_err(|_| StoreError::corrupt("officials", "full_name"))?,
                    status: status_of(&status)?,
                    days_counted: count(days),
                })
            },
        )?;
        txn.commit().await?;
        let reads =
            page.items.iter().map(|listed| read_row(listed.id.as_uuid(), reader, purpose, None));
        self.log_reads(reads.collect()).await?;
        Ok(page)
    }
}

#[cfg(test)]
mod tests {
    use hocba_domain::{RULES_FILE, parse_rules};
    use time::macros::date;

    use super::*;

    /// The SQL of RPT-STD over every shipped rule: the rules' data travels as parameters, never
    /// in the text. `HOCBA_PRINT_REPORT_SQL=1` prints it with its values inlined, for EXPLAIN:
    /// the country's, and with `HOCBA_REPORT_SCOPE` (agency codes, comma-separated) a
    /// subtree's after a marker line; `HOCBA_REPORT_PROGRAMS` (`id:category`, comma-separated)
    /// gives the programmes of the database explained (scripts/bench_population.py), and
    /// `HOCBA_REPORT_DIALECT=sqlite` prints SQLite's statements instead of PostgreSQL's.
    #[test]
    fn the_rules_data_is_bound_never_written_into_the_sql() {
        let rules = parse_rules(RULES_FILE).unwrap();
        let as_of = date!(2026 - 12 - 05);
        let report = ReportId::Standards;
        let counted = report.rules(&rules, &indicators(), as_of);
        let catalogue: Vec<(Uuid, String)> = match std::env::var("HOCBA_REPORT_PROGRAMS") {
            Ok(listed) => listed
                .split(',')
                .map(|entry| entry.split_once(':').unwrap())
                .map(|(id, category)| (id.parse().unwrap(), category.to_owned()))
                .collect(),
            Err(_) => ["LLCT-CAO", "QLNN-CV", "PL"]
                .iter()
                .map(|category| (Uuid::now_v7(), (*category).to_owned()))
                .collect(),
        };
        let programs = accepted_programs(&counted, catalogue);
        let exclusions = if report.applies_exclusions() { rules.clone() } else { Vec::new() };
        let everyone = ReportScope::default();
        let counting = Counting {
            rules: &counted,
            programs: &programs,
            exclusions: &exclusions,
            as_of,
            scope: &everyone,
        };
        let all_row = report.has_all_row();
        let sql = tally_sql(DbBackend::Postgres, &counting, None, all_row);
        for rule in &counted {
            for pattern in &rule.any_of {
                let code = pattern.as_str().trim_end_matches('*');
                assert!(!sql.text.contains(&format!("'{code}")), "{code} is written into the SQL");
            }
        }
        if std::env::var_os("HOCBA_PRINT_REPORT_SQL").is_some() {
            let backend = match std::env::var("HOCBA_REPORT_DIALECT").as_deref() {
                Ok("sqlite") => DbBackend::Sqlite,
                _ => DbBackend::Postgres,
            };
            println!("{}", inlined(&tally_sql(backend, &counting, None, all_row)));
            if let Ok(codes) = std::env::var("HOCBA_REPORT_SCOPE") {
                let agencies = codes.split(',').map(|code| AgencyCode::parse(code).unwrap());
                let subtree = ReportScope { agencies: Some(agencies.collect()), level: None };
                let scoped =
                    tally_sql(backend, &Counting { scope: &subtree, ..counting }, None, all_row);
                println!("-- scoped\n{}", inlined(&scoped));
            }
        }
    }

    /// A report reads the completions of the programmes its rules accept, and only those.
    #[test]
    fn a_report_reads_the_programmes_its_rules_accept() {
        let rules = parse_rules(RULES_FILE).unwrap();
        let counted = ReportId::Standards.rules(&rules, &indicators(), date!(2026 - 12 - 05));
        let (theory, law) = (Uuid::now_v7(), Uuid::now_v7());
        let catalogue = [(theory, "LLCT-CAO".to_owned()), (law, "PL".to_owned())];
        assert_eq!(accepted_programs(&counted, catalogue), [theory]);
    }

    /// `sql` with its values written in, for `EXPLAIN`.
    /// `sql` with its values written in, as the backend reads them: PostgreSQL's numbered
    /// placeholders; SQLite's `?` in order, its days as text and its uuids as 16-byte blobs.
    fn inlined(sql: &Sql) -> String {
        let sqlite = sql.backend == DbBackend::Sqlite;
        let literal = |value: &Value| match value {
            Value::String(Some(text)) => format!("'{text}'"),
            Value::TimeDate(Some(day)) if sqlite => format!("'{day}'"),
            Value::TimeDate(Some(day)) => format!("DATE '{day}'"),
            Value::BigInt(Some(n)) => n.to_string(),
            Value::Uuid(Some(id)) if sqlite => format!("X'{}'", id.simple()),
            Value::Uuid(Some(id)) => format!("'{id}'"),
            other => format!("{other:?}"),
        };
        if sqlite {
            let mut values = sql.values.iter();
            let pieces = sql.text.split('?').map(str::to_owned);
            let inlined = pieces.reduce(|text, piece| {
                let value = values.next().map(literal).unwrap_or_default();
                format!("{text}{value}{piece}")
            });
            return inlined.unwrap_or_default();
        }
        let mut text = sql.text.clone();
        for (index, value) in sql.values.iter().enumerate().rev() {
            text = text.replace(&format!("${}", index + 1), &literal(value));
        }
        text
    }
}
