//! Literal conversion: the inputs an agent reads and the outputs it
//! answers, between Rust values and Flyte literals.

// `criterion_group!` defines a public function it cannot document.
#![allow(missing_docs)]

use std::collections::HashMap;
use std::hint::black_box;

use agent_core::literal::{LiteralMapBuilder, read_input};
use agent_core::{FromLiteral, IntoLiteral};
use criterion::{Criterion, criterion_group, criterion_main};

fn literals(c: &mut Criterion) {
    c.bench_function("literal/int_into", |b| {
        b.iter(|| black_box(1_i64).into_literal().unwrap())
    });
    let int = 1_i64.into_literal().unwrap();
    c.bench_function("literal/int_from", |b| {
        b.iter(|| i64::from_literal(black_box(&int)).unwrap())
    });

    let list: Vec<String> = (0..16).map(|i| format!("item-{i}")).collect();
    c.bench_function("literal/list_of_16_strings_into", |b| {
        b.iter(|| black_box(list.clone()).into_literal().unwrap())
    });
    let map: HashMap<String, f64> = (0..16).map(|i| (format!("k{i}"), f64::from(i))).collect();
    let map_literal = map.clone().into_literal().unwrap();
    c.bench_function("literal/map_of_16_floats_from", |b| {
        b.iter(|| HashMap::<String, f64>::from_literal(black_box(&map_literal)).unwrap())
    });

    c.bench_function("literal/outputs_map_build", |b| {
        b.iter(|| {
            LiteralMapBuilder::new()
                .with("o0", black_box(1_i64))
                .with("o1", black_box("done"))
                .build()
                .unwrap()
        })
    });
    let inputs = LiteralMapBuilder::new()
        .with("x", 1_i64)
        .with("name", "task")
        .build()
        .unwrap();
    c.bench_function("literal/input_read", |b| {
        b.iter(|| read_input::<i64>(black_box(&inputs), "x").unwrap())
    });
}

criterion_group!(benches, literals);
criterion_main!(benches);
