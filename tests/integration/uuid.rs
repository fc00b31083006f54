//! `Uuid` columns (feature `uuid`): 32 lowercase hex digits in a `CHAR(32)`, as SQLAlchemy's
//! `Uuid` on SQLite, through insert, load, filters, order and updates, with `None`.
#![cfg(feature = "uuid")]

use crate::round_trip;

use orm::uuid::Uuid;

round_trip!(
    uuid,
    Uuid,
    [
        Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef),
        Uuid::from_u128(0xa0ee_bc99_9c0b_4ef8_bb6d_6bb9_bd38_0a11),
        Uuid::from_u128(0xffff_0000_0000_4000_8000_0000_0000_0001)
    ],
    [
        "0123456789abcdef0123456789abcdef",
        "a0eebc999c0b4ef8bb6d6bb9bd380a11",
        "ffff0000000040008000000000000001"
    ]
);

#[test]
fn hyphenated_text_and_blobs_read_too() {
    use orm::{ColumnType, ValueRef};
    let id = Uuid::from_u128(0xa0ee_bc99_9c0b_4ef8_bb6d_6bb9_bd38_0a11);
    let text = b"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11";
    assert_eq!(<Uuid as ColumnType>::from_sql(ValueRef::Text(text)), Ok(id));
    assert_eq!(
        <Uuid as ColumnType>::from_sql(ValueRef::Blob(id.as_bytes())),
        Ok(id)
    );
    assert!(<Uuid as ColumnType>::from_sql(ValueRef::Text(b"nope")).is_err());
}
