//! Formulas for derived columns in a data-preparation recipe, such as `log(income) / age`.
//!
//! The language: numbers (`3`, `2.5`, `.5`, `1e-3`); column references, either bare
//! identifiers (`[A-Za-z_][A-Za-z0-9_]*`) or any other name between backticks
//! (`` `annual income` ``); the binary operators `+ - * /` and `^` (power, right-associative,
//! binding tighter than a unary minus on its left, so `-2^2` is `-4`); unary `-` and `+`;
//! parentheses; and the functions `log` (natural), `log10`, `log1p`, `exp`, `sqrt`, `abs`,
//! `round` (half away from zero), `floor`, `ceil` (one argument) and `min`, `max`, `pow` (two
//! arguments). An identifier followed by `(` is a function call; any other identifier is a
//! column. Function names are case-sensitive.
//!
//! The parser is a hand-written recursive descent: the grammar is tiny, and every error must
//! carry the character position it refers to in the formula (shown to people in the studio and
//! the command line), which a small hand-written parser gives directly, without a dependency.
//! Positions count characters, not bytes, since names between backticks may be any text.
//! Parsing never panics: the source length and the nesting depth are limited, so hostile input
//! cannot exhaust the stack.
//!
//! Evaluation works one row at a time and yields `None` (a missing value) when a referenced
//! value is missing or when any step is not finite (log of a negative, division by zero...).

/// Longest formula accepted, in characters.
pub const MAX_SOURCE_CHARS: usize = 1000;
/// Deepest nesting accepted (parentheses, function calls, unary signs and powers).
pub const MAX_DEPTH: usize = 64;

/// A parsed formula, with the text it was parsed from.
#[derive(Debug, Clone, PartialEq)]
pub struct Formula {
    source: String,
    expr: Expr,
    /// Referenced columns with the position of their first reference, in order.
    columns: Vec<(String, usize)>,
}

/// Why a formula was rejected, and where.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "{message} at character {} of \"{}\"",
    .position.saturating_add(1),
    one_line(.source_text)
)]
pub struct FormulaError {
    /// 0-based character (not byte) index into the source; the source's length for errors
    /// about its end.
    pub position: usize,
    pub message: String,
    pub source_text: String,
}

/// The source as shown in an error: on one line, and no longer than the accepted limit.
fn one_line(source: &str) -> String {
    let mut shown: String = source
        .chars()
        .take(MAX_SOURCE_CHARS)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if source.chars().nth(MAX_SOURCE_CHARS).is_some() {
        shown.push('…');
    }
    shown
}

impl Formula {
    /// Parses a formula.
    pub fn parse(source: &str) -> Result<Formula, FormulaError> {
        let fail = |(position, message): (usize, String)| FormulaError {
            position,
            message,
            source_text: source.to_string(),
        };
        if source.chars().nth(MAX_SOURCE_CHARS).is_some() {
            return Err(fail((
                MAX_SOURCE_CHARS,
                format!("the formula is longer than {MAX_SOURCE_CHARS} characters"),
            )));
        }
        if source.trim().is_empty() {
            return Err(fail((0, "the formula is empty".to_string())));
        }
        let chars: Vec<char> = source.chars().collect();
        let mut parser = Parser {
            tokens: lex(&chars),
            at: 0,
            end: chars.len(),
            depth: 0,
            columns: Vec::new(),
        };
        let expr = parser.expr().map_err(fail)?;
        match parser.peek().map_err(fail)? {
            (_, Tok::End) => {}
            (pos, Tok::Sym(')')) => {
                return Err(fail((pos, "unmatched closing parenthesis".to_string())));
            }
            (pos, tok) => {
                return Err(fail((
                    pos,
                    format!("unexpected {}; expected an operator", describe(tok)),
                )));
            }
        }
        Ok(Formula {
            source: source.to_string(),
            expr,
            columns: parser.columns,
        })
    }

    /// The text the formula was parsed from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Column names referenced, each with the char position of its first reference, in order
    /// of first appearance, deduplicated.
    pub fn columns(&self) -> Vec<(String, usize)> {
        self.columns.clone()
    }

    /// Errors (at the reference's position) with message `unknown column "x"` for the first
    /// referenced column for which `known` is false.
    pub fn check_columns(&self, known: &dyn Fn(&str) -> bool) -> Result<(), FormulaError> {
        match self.columns.iter().find(|(name, _)| !known(name)) {
            None => Ok(()),
            Some((name, position)) => Err(FormulaError {
                position: *position,
                message: format!("unknown column {name:?}"),
                source_text: self.source.clone(),
            }),
        }
    }

    /// Evaluates for one row. `value(name)` gives the column's value or None when missing.
    /// Returns None when any referenced value is missing or not finite, or when the result
    /// (or any intermediate step) is not finite (log of a negative, division by zero...).
    pub fn eval(&self, value: &dyn Fn(&str) -> Option<f64>) -> Option<f64> {
        eval_expr(&self.expr, value)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Func {
    Log,
    Log10,
    Log1p,
    Exp,
    Sqrt,
    Abs,
    Round,
    Floor,
    Ceil,
    Min,
    Max,
    Pow,
}

impl Func {
    const ALL: [Func; 12] = [
        Func::Log,
        Func::Log10,
        Func::Log1p,
        Func::Exp,
        Func::Sqrt,
        Func::Abs,
        Func::Round,
        Func::Floor,
        Func::Ceil,
        Func::Min,
        Func::Max,
        Func::Pow,
    ];

    fn name(self) -> &'static str {
        match self {
            Func::Log => "log",
            Func::Log10 => "log10",
            Func::Log1p => "log1p",
            Func::Exp => "exp",
            Func::Sqrt => "sqrt",
            Func::Abs => "abs",
            Func::Round => "round",
            Func::Floor => "floor",
            Func::Ceil => "ceil",
            Func::Min => "min",
            Func::Max => "max",
            Func::Pow => "pow",
        }
    }

    fn from_name(name: &str) -> Option<Func> {
        Func::ALL.into_iter().find(|f| f.name() == name)
    }

    fn arity(self) -> usize {
        match self {
            Func::Min | Func::Max | Func::Pow => 2,
            _ => 1,
        }
    }

    /// Applies the function; `b` is ignored by one-argument functions.
    fn apply(self, a: f64, b: f64) -> f64 {
        match self {
            Func::Log => a.ln(),
            Func::Log10 => a.log10(),
            Func::Log1p => a.ln_1p(),
            Func::Exp => a.exp(),
            Func::Sqrt => a.sqrt(),
            Func::Abs => a.abs(),
            Func::Round => a.round(),
            Func::Floor => a.floor(),
            Func::Ceil => a.ceil(),
            Func::Min => a.min(b),
            Func::Max => a.max(b),
            Func::Pow => a.powf(b),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
}

#[derive(Debug, Clone, PartialEq)]
enum Expr {
    Number(f64),
    Column(String),
    Neg(Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// Always holds exactly `func.arity()` arguments.
    Call(Func, Vec<Expr>),
}

fn eval_expr(expr: &Expr, value: &dyn Fn(&str) -> Option<f64>) -> Option<f64> {
    let result = match expr {
        Expr::Number(v) => *v,
        Expr::Column(name) => value(name)?,
        Expr::Neg(inner) => -eval_expr(inner, value)?,
        Expr::Binary(op, left, right) => {
            let a = eval_expr(left, value)?;
            let b = eval_expr(right, value)?;
            match op {
                BinOp::Add => a + b,
                BinOp::Sub => a - b,
                BinOp::Mul => a * b,
                BinOp::Div => a / b,
                BinOp::Pow => a.powf(b),
            }
        }
        Expr::Call(func, args) => {
            let mut values = [0.0; 2];
            for (slot, arg) in values.iter_mut().zip(args) {
                *slot = eval_expr(arg, value)?;
            }
            func.apply(values[0], values[1])
        }
    };
    result.is_finite().then_some(result)
}

/// An error before it is attached to its source: (character position, message).
type Failure = (usize, String);

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Number(f64),
    /// A bare identifier: a column, or a function when followed by `(`.
    Name(String),
    /// A column name between backticks.
    Quoted(String),
    /// One of `+ - * / ^ ( ) ,`.
    Sym(char),
    End,
    /// A lexical error; always the last token.
    Bad(String),
}

#[derive(Debug, Clone, PartialEq)]
struct Token {
    tok: Tok,
    /// Character position of the token's first character.
    pos: usize,
}

/// Splits the source into tokens. Lexing stops at the first lexical error, which becomes a
/// [`Tok::Bad`] token, so the parser reports whichever error comes first in the text.
fn lex(chars: &[char]) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        let pos = i;
        let next_is_digit = chars.get(i + 1).is_some_and(char::is_ascii_digit);
        let tok = if c.is_whitespace() {
            i += 1;
            continue;
        } else if c.is_ascii_digit() || (c == '.' && next_is_digit) {
            match lex_number(chars, &mut i) {
                Ok(v) => Tok::Number(v),
                Err((at, message)) => {
                    tokens.push(Token {
                        tok: Tok::Bad(message),
                        pos: at,
                    });
                    return tokens;
                }
            }
        } else if c.is_ascii_alphabetic() || c == '_' {
            let mut name = String::new();
            while let Some(&c) = chars
                .get(i)
                .filter(|c| c.is_ascii_alphanumeric() || **c == '_')
            {
                name.push(c);
                i += 1;
            }
            Tok::Name(name)
        } else if c == '`' {
            let rest = chars.get(i + 1..).unwrap_or_default();
            match rest.iter().position(|&c| c == '`') {
                None => {
                    tokens.push(Token {
                        tok: Tok::Bad(
                            "unterminated backtick: the column name needs a closing `".into(),
                        ),
                        pos,
                    });
                    return tokens;
                }
                Some(0) => {
                    tokens.push(Token {
                        tok: Tok::Bad("empty column name between backticks".into()),
                        pos,
                    });
                    return tokens;
                }
                Some(len) => {
                    let name: String = rest.iter().take(len).collect();
                    i += len + 2;
                    Tok::Quoted(name)
                }
            }
        } else if matches!(c, '+' | '-' | '*' | '/' | '^' | '(' | ')' | ',') {
            i += 1;
            Tok::Sym(c)
        } else {
            let hint = if c.is_alphanumeric() {
                "; put column names with other characters between backticks"
            } else {
                ""
            };
            tokens.push(Token {
                tok: Tok::Bad(format!("unexpected character {c:?}{hint}")),
                pos,
            });
            return tokens;
        };
        tokens.push(Token { tok, pos });
    }
    tokens.push(Token {
        tok: Tok::End,
        pos: chars.len(),
    });
    tokens
}

/// Reads a number starting at `*i` (a digit, or a `.` followed by a digit) and moves `*i`
/// past it.
fn lex_number(chars: &[char], i: &mut usize) -> Result<f64, Failure> {
    let start = *i;
    let digit_at = |k: usize| chars.get(k).is_some_and(char::is_ascii_digit);
    while digit_at(*i) {
        *i += 1;
    }
    if chars.get(*i) == Some(&'.') {
        *i += 1;
        while digit_at(*i) {
            *i += 1;
        }
    }
    if matches!(chars.get(*i), Some('e' | 'E')) {
        let e = *i;
        let mut k = e + 1;
        if matches!(chars.get(k), Some('+' | '-')) {
            k += 1;
        }
        if !digit_at(k) {
            return Err((e, "a number's exponent needs digits after \"e\"".into()));
        }
        while digit_at(k) {
            k += 1;
        }
        *i = k;
    }
    match chars.get(*i) {
        Some('.') => return Err((start, "malformed number".into())),
        Some(&c) if c.is_alphanumeric() || c == '_' || c == '`' => {
            return Err((*i, "expected an operator after the number".into()));
        }
        _ => {}
    }
    let text: String = chars.get(start..*i).unwrap_or_default().iter().collect();
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => Err((start, "the number is too large".into())),
        Err(_) => Err((start, "malformed number".into())),
    }
}

fn describe(tok: &Tok) -> String {
    match tok {
        Tok::Number(_) => "number".to_string(),
        Tok::Name(name) => format!("name {name:?}"),
        Tok::Quoted(name) => format!("column {name:?}"),
        Tok::Sym(c) => format!("\"{c}\""),
        Tok::End => "end of the formula".to_string(),
        Tok::Bad(message) => message.clone(),
    }
}

/// Returned by [`Parser::peek`] past the last token (which cannot happen: the parser never
/// moves past [`Tok::End`] or [`Tok::Bad`]).
static END: Tok = Tok::End;

/// Recursive descent over the tokens:
///
/// ```text
/// expr    := term (("+" | "-") term)*
/// term    := unary (("*" | "/") unary)*
/// unary   := ("-" | "+") unary | power
/// power   := primary ("^" unary)?
/// primary := number | column | name "(" (expr ("," expr)*)? ")" | "(" expr ")"
/// ```
struct Parser {
    tokens: Vec<Token>,
    at: usize,
    /// The source's length in characters.
    end: usize,
    depth: usize,
    columns: Vec<(String, usize)>,
}

impl Parser {
    /// The current token and its position; a lexical error is returned as an error.
    fn peek(&self) -> Result<(usize, &Tok), Failure> {
        match self.tokens.get(self.at) {
            Some(Token {
                tok: Tok::Bad(message),
                pos,
            }) => Err((*pos, message.clone())),
            Some(token) => Ok((token.pos, &token.tok)),
            None => Ok((self.end, &END)),
        }
    }

    fn advance(&mut self) {
        if self.at < self.tokens.len() {
            self.at += 1;
        }
    }

    /// The current token when it is one of the symbols in `symbols`.
    fn symbol_in(&self, symbols: &[char]) -> Result<Option<char>, Failure> {
        Ok(match self.peek()?.1 {
            Tok::Sym(c) if symbols.contains(c) => Some(*c),
            _ => None,
        })
    }

    fn expr(&mut self) -> Result<Expr, Failure> {
        let mut left = self.term()?;
        while let Some(c) = self.symbol_in(&['+', '-'])? {
            self.advance();
            let right = self.term()?;
            let op = if c == '+' { BinOp::Add } else { BinOp::Sub };
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn term(&mut self) -> Result<Expr, Failure> {
        let mut left = self.unary()?;
        while let Some(c) = self.symbol_in(&['*', '/'])? {
            self.advance();
            let right = self.unary()?;
            let op = if c == '*' { BinOp::Mul } else { BinOp::Div };
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    /// Every recursion of the grammar goes through here, so this is where depth is limited.
    fn unary(&mut self) -> Result<Expr, Failure> {
        let pos = self.peek()?.0;
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err((
                pos,
                format!("the formula is nested too deeply (more than {MAX_DEPTH} levels)"),
            ));
        }
        let result = match self.symbol_in(&['-', '+'])? {
            Some('-') => {
                self.advance();
                self.unary().map(|inner| Expr::Neg(Box::new(inner)))
            }
            Some(_) => {
                self.advance();
                self.unary()
            }
            None => self.power(),
        };
        self.depth -= 1;
        result
    }

    fn power(&mut self) -> Result<Expr, Failure> {
        let base = self.primary()?;
        if self.symbol_in(&['^'])?.is_some() {
            self.advance();
            let exponent = self.unary()?;
            return Ok(Expr::Binary(BinOp::Pow, Box::new(base), Box::new(exponent)));
        }
        Ok(base)
    }

    fn primary(&mut self) -> Result<Expr, Failure> {
        let (pos, tok) = self.peek()?;
        match tok {
            Tok::Number(v) => {
                let v = *v;
                self.advance();
                Ok(Expr::Number(v))
            }
            Tok::Quoted(name) => {
                let name = name.clone();
                self.advance();
                Ok(self.column(name, pos))
            }
            Tok::Name(name) => {
                let name = name.clone();
                self.advance();
                if self.symbol_in(&['('])?.is_some() {
                    self.call(&name, pos)
                } else {
                    Ok(self.column(name, pos))
                }
            }
            Tok::Sym('(') => {
                self.advance();
                let inner = self.expr()?;
                self.close(pos)?;
                Ok(inner)
            }
            Tok::End => Err((pos, "the formula ends too early".to_string())),
            other => Err((pos, format!("unexpected {}", describe(other)))),
        }
    }

    fn column(&mut self, name: String, pos: usize) -> Expr {
        if !self.columns.iter().any(|(seen, _)| *seen == name) {
            self.columns.push((name.clone(), pos));
        }
        Expr::Column(name)
    }

    /// Parses a call's parenthesised arguments; the current token is its `(`.
    fn call(&mut self, name: &str, pos: usize) -> Result<Expr, Failure> {
        let func =
            Func::from_name(name).ok_or_else(|| (pos, format!("unknown function {name:?}")))?;
        let open = self.peek()?.0;
        self.advance();
        let mut args = Vec::new();
        if self.symbol_in(&[')'])?.is_none() {
            loop {
                args.push(self.expr()?);
                if self.symbol_in(&[','])?.is_none() {
                    break;
                }
                self.advance();
            }
        }
        self.close(open)?;
        let expected = func.arity();
        if args.len() != expected {
            let plural = if expected == 1 { "" } else { "s" };
            return Err((
                pos,
                format!(
                    "{} takes {expected} argument{plural}, not {}",
                    func.name(),
                    args.len()
                ),
            ));
        }
        Ok(Expr::Call(func, args))
    }

    /// Consumes the `)` matching the `(` at `open`.
    fn close(&mut self, open: usize) -> Result<(), Failure> {
        match self.peek()? {
            (_, Tok::Sym(')')) => {
                self.advance();
                Ok(())
            }
            (_, Tok::End) => Err((open, "unmatched parenthesis".to_string())),
            (pos, tok) => Err((
                pos,
                format!(
                    "unexpected {}; expected an operator or \")\"",
                    describe(tok)
                ),
            )),
        }
    }
}

#[cfg(test)]
mod tests;
