//! Tests of `caqes evaluate`'s pieces (`super`); the command end to end is in `tests/cli_evaluate.rs`.

use super::*;

#[test]
fn elements_written_apart_make_the_pretty_array_byte_for_byte() {
    let items = vec![
        json!({"finess": "750712184", "score": 12.5, "indicateurs": [{"code": "I-01", "points": 2}], "vide": []}),
        json!({"finess": "690781810", "score": null, "avertissements": ["a\nb"], "objet": {}}),
    ];
    let mut chunked = b"[".to_vec();
    for (i, item) in items.iter().enumerate() {
        chunked.extend_from_slice(if i == 0 { b"\n  " } else { b",\n  " });
        item.serialize(&mut serde_json::Serializer::with_formatter(
            &mut chunked,
            array_element_formatter(),
        ))
        .unwrap();
    }
    chunked.extend_from_slice(b"\n]");
    assert_eq!(
        String::from_utf8(chunked).unwrap(),
        serde_json::to_string_pretty(&items).unwrap()
    );
}
