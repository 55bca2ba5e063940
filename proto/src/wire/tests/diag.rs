//! A minimal CBOR diagnostic-notation printer (RFC 8949 §8), used to check that the
//! diagnostic lines in docs/PROTOCOL.md describe the bytes next to them.

use ciborium_ll::{Decoder, Header, simple};

/// Renders one CBOR item (definite lengths, the subset the protocol uses).
pub fn diag(input: &[u8]) -> String {
    let mut dec = Decoder::from(input);
    let mut out = String::new();
    item(&mut dec, &mut out);
    out
}

fn item(dec: &mut Decoder<&[u8]>, out: &mut String) {
    use ciborium_io::Read;
    match dec.pull().expect("valid CBOR in a spec example") {
        Header::Positive(v) => out.push_str(&v.to_string()),
        Header::Simple(simple::TRUE) => out.push_str("true"),
        Header::Simple(simple::FALSE) => out.push_str("false"),
        Header::Simple(simple::NULL) => out.push_str("null"),
        Header::Bytes(Some(n)) => {
            let mut b = vec![0; n];
            dec.read_exact(&mut b).expect("bytes");
            out.push_str("h'");
            for x in b {
                out.push_str(&format!("{x:02x}"));
            }
            out.push('\'');
        }
        Header::Text(Some(n)) => {
            let mut b = vec![0; n];
            dec.read_exact(&mut b).expect("text");
            out.push_str(&format!("{:?}", String::from_utf8(b).expect("utf-8")));
        }
        Header::Array(Some(n)) => {
            out.push('[');
            for i in 0..n {
                if i > 0 {
                    out.push_str(", ");
                }
                item(dec, out);
            }
            out.push(']');
        }
        other => panic!("spec examples use no {other:?}"),
    }
}
