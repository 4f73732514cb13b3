use super::*;

fn items(text: &str, engine: Engine) -> Vec<Item> {
    let mut lexer = Lexer::new(text.as_bytes(), engine);
    let mut out = Vec::new();
    while let Some(item) = lexer.next_item().unwrap() {
        out.push(item);
    }
    out
}

fn statements(text: &str, engine: Engine) -> Vec<String> {
    items(text, engine)
        .into_iter()
        .filter_map(|i| match i {
            Item::Statement { sql, .. } => Some(sql),
            _ => None,
        })
        .collect()
}

#[test]
fn splits_on_semicolons_outside_quotes_and_comments() {
    let sql = "-- header\nCREATE TABLE t (a INT); INSERT INTO t VALUES (';'),('it''s;'),('a\\';b');\n/* x; */ SELECT 1\n  ;\n";
    let got = statements(sql, Engine::Mysql);
    assert_eq!(
        got,
        vec![
            "CREATE TABLE t (a INT)",
            "INSERT INTO t VALUES (';'),('it''s;'),('a\\';b')",
            "/* x; */ SELECT 1",
        ]
    );
    let all = items(sql, Engine::Mysql);
    assert_eq!(
        all[0],
        Item::Comment {
            text: "header".into(),
            line: 1
        }
    );
}

#[test]
fn raw_newlines_inside_strings_stay_in_one_statement() {
    // The official `metadata backup` writes raw newlines inside values.
    let sql = "INSERT INTO entity_extension VALUES ('e2','table.rawnewline\nsecond line','table','{}');\nTRUNCATE TABLE x;\n";
    let got = statements(sql, Engine::Mysql);
    assert_eq!(got.len(), 2);
    assert!(got[0].contains("rawnewline\nsecond line"));
    let mut lexer = Lexer::new(sql.as_bytes(), Engine::Mysql);
    lexer.next_item().unwrap();
    assert!(matches!(
        lexer.next_item().unwrap(),
        Some(Item::Statement { line: 3, .. })
    ));
}

#[test]
fn postgres_quoting_rules() {
    // Standard strings keep backslashes; E'' strings escape; dollar quotes hide semicolons.
    let sql = "INSERT INTO t VALUES ('a\\'); INSERT INTO t VALUES (E'b\\';c');\nCREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql;\nSELECT \"we;ird\";";
    let got = statements(sql, Engine::Postgres);
    assert_eq!(
        got,
        vec![
            "INSERT INTO t VALUES ('a\\')",
            "INSERT INTO t VALUES (E'b\\';c')",
            "CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql",
            "SELECT \"we;ird\"",
        ]
    );
}

#[test]
fn copy_blocks_are_handed_out_as_data() {
    let sql = "COPY t (a, b) FROM stdin;\n1\tx\n2\t\\N\n\\.\nSELECT 1;\n";
    let got = items(sql, Engine::Postgres);
    assert_eq!(
        got,
        vec![
            Item::Statement {
                sql: "COPY t (a, b) FROM stdin".into(),
                line: 1
            },
            Item::CopyData {
                data: b"1\tx\n2\t\\N\n".to_vec(),
                rows: 2
            },
            Item::CopyEnd { line: 4 },
            Item::Statement {
                sql: "SELECT 1".into(),
                line: 5
            },
        ]
    );
    let empty = items("COPY t (a) FROM stdin;\n\\.\n", Engine::Postgres);
    assert_eq!(empty[1], Item::CopyEnd { line: 2 });
}

#[test]
fn truncation_is_reported_with_the_line() {
    let mut lexer = Lexer::new(
        "SELECT 1;\nINSERT INTO t VALUES ('cut".as_bytes(),
        Engine::Mysql,
    );
    lexer.next_item().unwrap();
    assert_eq!(
        lexer.next_item(),
        Err(LexError::UnterminatedStatement { line: 2 })
    );

    let mut lexer = Lexer::new(
        "COPY t (a) FROM stdin;\n1\n2\n".as_bytes(),
        Engine::Postgres,
    );
    lexer.next_item().unwrap();
    assert_eq!(
        lexer.next_item(),
        Err(LexError::UnterminatedCopy { line: 2 })
    );
}

#[test]
fn mysql_double_dash_needs_a_space_to_be_a_comment() {
    let got = statements("SELECT 1--1;\nSELECT 2 -- two;\n;", Engine::Mysql);
    assert_eq!(got, vec!["SELECT 1--1", "SELECT 2 -- two;"]);
}

#[test]
fn tables_of_statements() {
    assert_eq!(
        statement_table("INSERT INTO `table_entity` (`json`) VALUES (1)").as_deref(),
        Some("table_entity")
    );
    assert_eq!(
        statement_table("COPY public.\"DATABASE_CHANGE_LOG\" (a) FROM stdin").as_deref(),
        Some("DATABASE_CHANGE_LOG")
    );
    assert_eq!(
        statement_table("CREATE TABLE `t` (\n a INT)").as_deref(),
        Some("t")
    );
    assert_eq!(
        statement_table("CREATE TABLE IF NOT EXISTS t(a int)").as_deref(),
        Some("t")
    );
    assert_eq!(
        statement_table("TRUNCATE TABLE tag_usage").as_deref(),
        Some("tag_usage")
    );
    assert_eq!(statement_table("SET NAMES utf8mb4"), None);
}

#[test]
fn tuples_of_inserts() {
    let sql = b"INSERT INTO `t` (`a`,`b`) VALUES (1,'x)'),(2,'it\\'s (not)'),(3,NULL)";
    assert_eq!(
        insert_tuples(sql, Engine::Mysql),
        vec![&b"(1,'x)')"[..], b"(2,'it\\'s (not)')", b"(3,NULL)"]
    );
    let official = b"INSERT INTO t VALUES ('a','values (x)');";
    assert_eq!(
        insert_tuples(official, Engine::Postgres),
        vec![&b"('a','values (x)')"[..]]
    );
    let pg = b"INSERT INTO t (json) VALUES (E'a\\')b')";
    assert_eq!(
        insert_tuples(pg, Engine::Postgres),
        vec![&b"(E'a\\')b')"[..]]
    );
}

#[test]
fn table_names_with_spaces_quotes_and_dots_are_read_whole() {
    assert_eq!(
        statement_table("INSERT INTO `my table` (`a`) VALUES (1)").as_deref(),
        Some("my table")
    );
    assert_eq!(
        statement_table("CREATE TABLE `it``s` (a INT)").as_deref(),
        Some("it`s")
    );
    assert_eq!(
        statement_table("COPY public.\"say \"\"hi\"\"\" (a) FROM stdin").as_deref(),
        Some("say \"hi\"")
    );
    assert_eq!(
        statement_table("CREATE TABLE \"a.b\" (x int)").as_deref(),
        Some("a.b")
    );
    assert_eq!(
        statement_table("TRUNCATE TABLE \"o'brien\"").as_deref(),
        Some("o'brien")
    );
    assert_eq!(statement_table("CREATE INDEX i ON t (a)"), None);
}

#[test]
fn raw_binary_statements_are_handed_out_only_when_allowed() {
    let sql = b"INSERT INTO `b` VALUES (1,'\xff\xfe\x00;');\nINSERT INTO `b` VALUES (2,'ok');\n";
    let mut strict = Lexer::new(&sql[..], Engine::Mysql);
    assert_eq!(strict.next_item(), Err(LexError::NotUtf8 { line: 1 }));
    let mut lenient = Lexer::new(&sql[..], Engine::Mysql);
    lenient.allow_binary(true);
    assert!(matches!(
        lenient.next_item(),
        Ok(Some(Item::BinaryStatement { line: 1, .. }))
    ));
    assert!(matches!(
        lenient.next_item(),
        Ok(Some(Item::Statement { line: 2, .. }))
    ));
}

#[test]
fn psql_meta_commands_of_pg_dump_are_items_of_their_own() {
    let got = items(
        "\\restrict abc\nSET x = 1;\n\\unrestrict abc\n",
        Engine::Postgres,
    );
    assert_eq!(
        got,
        vec![
            Item::Meta {
                text: "\\restrict abc".into(),
                line: 1
            },
            Item::Statement {
                sql: "SET x = 1".into(),
                line: 2
            },
            Item::Meta {
                text: "\\unrestrict abc".into(),
                line: 3
            },
        ]
    );
}

#[test]
fn an_endless_statement_or_copy_row_is_refused_without_being_read_whole() {
    // One line with no end, as a small compressed file can hold gigabytes of: refused at the
    // limit, not read to the end.
    let endless = std::io::BufReader::new(
        b"INSERT INTO t VALUES ('".chain(std::io::repeat(b'a').take(10 << 20)),
    );
    let mut lexer = Lexer::new(endless, Engine::Mysql);
    lexer.max_statement = 1 << 20;
    assert_eq!(
        lexer.next_item(),
        Err(LexError::TooLong {
            line: 1,
            limit: 1 << 20
        })
    );
    assert_eq!(lexer.next_item(), Ok(None));
    // A statement over several lines counts as one.
    let text = format!(
        "SELECT 1;\nSELECT '{}\n{}';\n",
        "x".repeat(600),
        "y".repeat(600)
    );
    let mut lexer = Lexer::new(text.as_bytes(), Engine::Postgres);
    lexer.max_statement = 1000;
    assert!(matches!(
        lexer.next_item(),
        Ok(Some(Item::Statement { line: 1, .. }))
    ));
    assert_eq!(
        lexer.next_item(),
        Err(LexError::TooLong {
            line: 2,
            limit: 1000
        })
    );
    // A COPY data row.
    let text = format!("COPY t (a) FROM stdin;\nok\n{}\n\\.\n", "z".repeat(2000));
    let mut lexer = Lexer::new(text.as_bytes(), Engine::Postgres);
    lexer.max_statement = 1000;
    assert!(matches!(
        lexer.next_item(),
        Ok(Some(Item::Statement { .. }))
    ));
    assert_eq!(
        lexer.next_item(),
        Err(LexError::TooLong {
            line: 3,
            limit: 1000
        })
    );
    // Statements up to the limit read as before.
    let text = format!("SELECT '{}';\n", "x".repeat(900));
    let mut lexer = Lexer::new(text.as_bytes(), Engine::Postgres);
    lexer.max_statement = 1000;
    assert!(matches!(
        lexer.next_item(),
        Ok(Some(Item::Statement { .. }))
    ));
    assert_eq!(lexer.next_item(), Ok(None));
}
