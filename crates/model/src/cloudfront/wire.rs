//! Wire shapes shared by the CloudFront types.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A list as CloudFront writes it: the REST API and `aws cloudfront` JSON wrap every list as
/// `{"Quantity": n, "Items": [...]}` (with `Items` absent when empty), CloudFormation uses a
/// plain array. Both are read; the API's form is written. A `Quantity` that disagrees with
/// `Items` is refused, as the API refuses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct List<T>(pub Vec<T>);

impl<T> Default for List<T> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<T> std::ops::Deref for List<T> {
    type Target = Vec<T>;
    fn deref(&self) -> &Vec<T> {
        &self.0
    }
}

impl<T> From<Vec<T>> for List<T> {
    fn from(v: Vec<T>) -> Self {
        Self(v)
    }
}

impl<T: Serialize> Serialize for List<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("List", 2)?;
        st.serialize_field("Quantity", &self.0.len())?;
        if !self.0.is_empty() {
            st.serialize_field("Items", &self.0)?;
        }
        st.end()
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for List<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // An explicit visitor rather than an untagged enum: an item's own error (a bad enum
        // value deep inside a behavior) must reach the user, not "did not match any variant".
        struct ListVisitor<T>(std::marker::PhantomData<T>);

        impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for ListVisitor<T> {
            type Value = List<T>;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a list, or {\"Quantity\": n, \"Items\": [...]}")
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<List<T>, A::Error> {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(List(items))
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<List<T>, A::Error> {
                let mut quantity: Option<usize> = None;
                let mut items: Option<Vec<T>> = None;
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "Quantity" => quantity = Some(map.next_value()?),
                        "Items" => items = Some(map.next_value()?),
                        // Other members (CloudFront nests a few) are not part of the list.
                        _ => {
                            map.next_value::<serde::de::IgnoredAny>()?;
                        }
                    }
                }
                let items = items.unwrap_or_default();
                if let Some(q) = quantity {
                    if q != items.len() {
                        return Err(serde::de::Error::custom(format!(
                            "Quantity {q} does not match the {} items given",
                            items.len()
                        )));
                    }
                }
                Ok(List(items))
            }
        }

        d.deserialize_any(ListVisitor(std::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_list_shapes_read_and_the_api_shape_is_written() {
        let a: List<String> = serde_json::from_str(r#"["a","b"]"#).unwrap();
        let b: List<String> = serde_json::from_str(r#"{"Quantity":2,"Items":["a","b"]}"#).unwrap();
        assert_eq!(a, b);
        let empty: List<String> = serde_json::from_str(r#"{"Quantity":0}"#).unwrap();
        assert!(empty.is_empty());
        assert!(serde_json::from_str::<List<String>>(r#"{"Quantity":3,"Items":["a"]}"#).is_err());
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            r#"{"Quantity":2,"Items":["a","b"]}"#
        );
        assert_eq!(
            serde_json::to_string(&List::<String>::default()).unwrap(),
            r#"{"Quantity":0}"#
        );
    }

    #[test]
    fn an_items_own_error_reaches_the_user() {
        #[derive(Debug, serde::Deserialize)]
        enum Policy {
            #[serde(rename = "allow-all")]
            AllowAll,
        }
        let e = serde_json::from_str::<List<Policy>>(r#"{"Quantity":1,"Items":["allow-none"]}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown variant `allow-none`"), "{e}");
        let e = serde_json::from_str::<List<Policy>>(r#"["allow-none"]"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown variant `allow-none`"), "{e}");
        assert!(matches!(
            serde_json::from_str::<List<Policy>>(r#"["allow-all"]"#)
                .unwrap()
                .as_slice(),
            [Policy::AllowAll]
        ));
    }
}
