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
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Shape<T> {
            Plain(Vec<T>),
            Wrapped {
                #[serde(rename = "Quantity")]
                quantity: usize,
                #[serde(rename = "Items", default = "Vec::new")]
                items: Vec<T>,
            },
        }
        match Shape::<T>::deserialize(d)? {
            Shape::Plain(v) => Ok(Self(v)),
            Shape::Wrapped { quantity, items } => {
                if quantity != items.len() {
                    return Err(serde::de::Error::custom(format!(
                        "Quantity {quantity} does not match the {} items given",
                        items.len()
                    )));
                }
                Ok(Self(items))
            }
        }
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
}
