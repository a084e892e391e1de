//! The `exercise` command's own strings, in one place, in English and Chinese. Exercise
//! texts themselves live in the exercise files.

use super::schema::Text;

pub use crate::lang::Lang;

impl Text {
    /// The text in `lang`.
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.en,
            Lang::Zh => &self.zh,
        }
    }
}

/// A UI string: (English, Chinese).
pub type Ui = (&'static str, &'static str);

pub fn ui(lang: Lang, s: Ui) -> &'static str {
    match lang {
        Lang::En => s.0,
        Lang::Zh => s.1,
    }
}

pub const TASK: Ui = ("Task", "任务");
pub const HINT: Ui = ("Hint", "提示");
pub const EXPLANATION: Ui = ("Explanation", "讲解");
pub const QUESTIONS: Ui = ("Questions", "问题");
pub const EXCERPT: Ui = ("Trace excerpt (from the simulator)", "跟踪摘录（由模拟器生成）");
pub const SCORE: Ui = ("score", "得分");
pub const STUDENT: Ui = ("student", "学生");
pub const DEFAULT_VARIANT: Ui = ("default variant", "默认变体");
pub const NO_ANSWER: Ui = ("no answer on the sheet", "答题纸上没有作答");
pub const CORRECT: Ui = ("correct", "正确");
pub const WRONG: Ui = ("not correct", "不正确");
pub const TOO_HIGH: Ui = ("too high", "偏大");
pub const TOO_LOW: Ui = ("too low", "偏小");
pub const NOT_A_NUMBER: Ui = ("expected a number", "应填写一个数字");
pub const WRONG_AT: Ui = ("wrong at connection(s)", "以下连接答错");
pub const WRONG_LEN: Ui = ("expected this many items:", "应填写的项目数：");
pub const EXPECTED: Ui = ("expected", "正确答案");
pub const FULL: Ui = ("all correct", "全部正确");
pub const START_SHEET: Ui = (
    "Write each answer after its `=`, then run: lvsim exercise check",
    "在每个 `=` 后面写上答案，然后运行：lvsim exercise check",
);
pub const START_FIX: Ui = (
    "Edit this scenario with real commands so the symptom is gone, then run: lvsim exercise check",
    "用真实的命令修改这个场景，让故障消失，然后运行：lvsim exercise check",
);
pub const SCENARIO_LOADS: Ui = ("your scenario file loads and runs", "你的场景文件可以加载并运行");
pub const SERVICE_KEPT: Ui = (
    "the director still balances the same virtual service over the same real servers, same forwarding method",
    "调度器仍然用相同的转发模式把同一个虚拟服务分配到同样的真实服务器",
);
pub const SERVING: Ui = ("serves connections", "处理了连接");
pub const SERVED_NONE: Ui = (
    "served no connection: a fix must keep every real server in service",
    "没有处理任何连接：修复时必须让每台真实服务器继续提供服务",
);
pub const THROUGH_DIRECTOR: Ui =
    ("connections go through the director (IPVS schedules them)", "连接经过调度器（由 IPVS 调度）");
pub const BYPASS: Ui = (
    "IPVS scheduled fewer connections than the reference: traffic bypasses the director",
    "IPVS 调度的连接比参考答案少：流量绕过了调度器",
);
pub const ONLY_HOSTS: Ui = ("only the allowed hosts were changed", "只修改了允许修改的主机");
pub const REQUIRED: Ui = ("the fix uses what the task asks for", "修复方法符合题目要求");
pub const FORBIDDEN: Ui = ("the fix avoids what the task rules out", "没有使用题目禁止的方法");
pub const NOT_FOUND: Ui = ("is missing", "缺失");
pub const CHANGED: Ui = ("was changed", "被修改了");
pub const GRADED: Ui = ("graded", "已评分");
