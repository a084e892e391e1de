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

/// A message and its help line: (English, Chinese) each.
pub type Ui2 = (Ui, Ui);

pub fn ui2(lang: Lang, s: Ui2) -> (&'static str, &'static str) {
    (ui(lang, s.0), ui(lang, s.1))
}

pub const WROTE: Ui = ("wrote", "已写入");
pub const HINT_LATER: Ui =
    ("lvsim exercise check shows it after a wrong attempt", "答错一次后，lvsim exercise check 会显示提示");
pub const WOULD_OVERWRITE: Ui2 = (
    (" already exist: your work there is kept, nothing was written", " 已存在：其中的作业保持不变，没有写入任何文件"),
    (
        "to start over, run the same command with --force (it overwrites them)",
        "要重新开始，加上 --force 再运行同一条命令（会覆盖这些文件）",
    ),
);
pub const ANSWERS_NEED_KEY: Ui2 = (
    (
        "--show-answers needs the course key: the answers are for the teacher",
        "--show-answers 需要课程密钥：答案只给教师看",
    ),
    (
        "give --key FILE or set LVSIM_COURSE_KEY=FILE (make a key with: lvsim exercise key new --out FILE)",
        "加上 --key 文件，或设置 LVSIM_COURSE_KEY=文件（生成密钥：lvsim exercise key new --out 文件）",
    ),
);
pub const NO_SHEET_HERE: Ui2 = (
    (
        "no exercise ID given, and no exercise.txt or answers.txt naming one in the current folder",
        "没有给出练习 ID，当前目录下也没有写明练习的 exercise.txt 或 answers.txt",
    ),
    (
        "run it in the folder `lvsim exercise start` wrote, or give the ID: lvsim exercise check ID [PATH]",
        "在 `lvsim exercise start` 写出的目录里运行，或者给出 ID：lvsim exercise check ID [路径]",
    ),
);
pub const FLAG_NO_STUDENT: Ui =
    ("started without --student (the default variant)", "开始时没有加 --student（默认变体）");
pub const FLAG_NO_KEY: Ui =
    ("started without the course key (no variant line)", "开始时没有使用课程密钥（没有 variant 行）");
pub const FLAG_OTHER_VARIANT: Ui = (
    "the variant line is not this student's under the course key (edited or copied)",
    "variant 行与课程密钥给这名学生的不符（被修改或抄来的）",
);
pub const FLAG_DEADLINE: Ui = ("the deadline line differs from the course key's", "deadline 行与课程密钥中的不同");
pub const FLAG_SAME: Ui = ("identical to the submission of ", "与以下学生的提交完全相同：");
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
pub const EXPLANATION_LATER: Ui =
    ("shown once every item is correct, or after the deadline", "全部正确后，或截止时间过后显示");
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

/// `label: value` with the language's colon: `得分：6/6` in Chinese (full width, no space).
pub fn labeled(lang: Lang, label: &str, value: &str) -> String {
    match lang {
        Lang::En => format!("{label}: {value}"),
        Lang::Zh => format!("{label}：{value}"),
    }
}

/// ` (inner)` after a word, with the language's parentheses: `（学生：alice）` in Chinese
/// (full width, no space before).
pub fn paren(lang: Lang, inner: &str) -> String {
    match lang {
        Lang::En => format!(" ({inner})"),
        Lang::Zh => format!("（{inner}）"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The course's typography (issue 15): Chinese text uses the full-width colon U+FF1A and
    // parentheses U+FF08/U+FF09, written here as escapes so the test does not copy the
    // code's literals; English keeps ASCII with a space after the colon.
    #[test]
    fn chinese_punctuation_is_full_width() {
        assert_eq!(labeled(Lang::Zh, "得分", "6/6"), "得分\u{ff1a}6/6");
        assert_eq!(paren(Lang::Zh, &labeled(Lang::Zh, "学生", "alice")), "\u{ff08}学生\u{ff1a}alice\u{ff09}");
        assert_eq!(paren(Lang::En, &labeled(Lang::En, "student", "alice")), " (student: alice)");
    }
}
