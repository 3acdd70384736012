//! Media: images, videos and 3D models given by URL, on a product in its order. The `Media`
//! interface with `MediaImage`, `Video`, `ExternalVideo` and `Model3d`, the product's `media`,
//! `featuredMedia`, `images` and `featuredImage`, and the `product*Media` mutations.
//!
//! Nothing is fetched from outside: the source URL is kept as given and served as the image's
//! URL, and its size is unknown (null). Processing is not simulated beyond what clients see of
//! it: the payload of the mutation that made a media item shows it `UPLOADED` with no image yet,
//! as the hosted API's payloads do, and every later request finds it `READY`.

pub(crate) mod mutation;
pub(crate) mod storage;

use async_graphql::{Enum, Interface, Object, SimpleObject, ID};
use stevedore_core::clock::from_millis;
use stevedore_core::scalars::{DateTime, Url};
use stevedore_core::Gid;
pub(crate) use storage::MediaRow;

/// `MediaContentType`.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum MediaContentType {
    Video,
    ExternalVideo,
    #[graphql(name = "MODEL_3D")]
    Model3d,
    Image,
}

impl MediaContentType {
    pub(crate) fn stored(self) -> &'static str {
        match self {
            Self::Video => "VIDEO",
            Self::ExternalVideo => "EXTERNAL_VIDEO",
            Self::Model3d => "MODEL_3D",
            Self::Image => "IMAGE",
        }
    }

    pub(crate) fn from_stored(text: &str) -> Self {
        match text {
            "VIDEO" => Self::Video,
            "EXTERNAL_VIDEO" => Self::ExternalVideo,
            "MODEL_3D" => Self::Model3d,
            _ => Self::Image,
        }
    }

    /// The global id type of a media item of this kind.
    pub(crate) fn gid_type(self) -> &'static str {
        match self {
            Self::Video => "Video",
            Self::ExternalVideo => "ExternalVideo",
            Self::Model3d => "Model3d",
            Self::Image => "MediaImage",
        }
    }
}

/// `ProductMediaSortKeys`: media are kept in their position order only.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum ProductMediaSortKeys {
    Position,
    Id,
    Relevance,
}

/// `MediaStatus`.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum MediaStatus {
    Uploaded,
    Processing,
    Ready,
    Failed,
}

/// `FileStatus`.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum FileStatus {
    Uploaded,
    Processing,
    Ready,
    Failed,
}

/// `Image`: a media image's picture (its source URL: nothing is downloaded).
#[derive(SimpleObject, Clone, Debug)]
pub struct Image {
    id: Option<ID>,
    url: Url,
    alt_text: Option<String>,
    width: Option<i32>,
    height: Option<i32>,
}

/// `MediaPreviewImage`.
#[derive(SimpleObject, Clone, Debug)]
pub struct MediaPreviewImage {
    image: Option<Image>,
    status: MediaStatus,
}

/// `MediaError`: never arises here (nothing is processed): always empty lists.
#[derive(SimpleObject, Clone, Debug)]
pub struct MediaError {
    message: String,
}

/// `MediaWarning`: likewise never raised here.
#[derive(SimpleObject, Clone, Debug)]
pub struct MediaWarning {
    message: Option<String>,
}

/// A media item as a request sees it: `fresh` when the request made it (its payload shows it
/// as the hosted API's does, before processing).
#[derive(Clone, Debug)]
pub struct MediaItem {
    pub(crate) row: MediaRow,
    pub(crate) fresh: bool,
}

impl MediaItem {
    pub(crate) fn kind(&self) -> MediaContentType {
        MediaContentType::from_stored(&self.row.content_type)
    }

    pub(crate) fn gid(&self) -> String {
        Gid::new(self.kind().gid_type(), self.row.id).to_string()
    }

    fn status(&self) -> MediaStatus {
        if self.fresh {
            MediaStatus::Uploaded
        } else {
            MediaStatus::Ready
        }
    }

    /// Its picture, once ready: images show their source; other kinds have no preview here.
    fn image(&self) -> Option<Image> {
        (!self.fresh && self.kind() == MediaContentType::Image).then(|| Image {
            id: Some(ID(Gid::new("ImageSource", self.row.id).to_string())),
            url: Url(self.row.original_source.clone()),
            alt_text: Some(self.row.alt.clone()),
            width: None,
            height: None,
        })
    }

    /// As the `Media` interface value of its kind.
    pub(crate) fn into_media(self) -> Media {
        match self.kind() {
            MediaContentType::Image => Media::MediaImage(MediaImage(self)),
            MediaContentType::Video => Media::Video(Video(self)),
            MediaContentType::ExternalVideo => Media::ExternalVideo(ExternalVideo(self)),
            MediaContentType::Model3d => Media::Model3d(Model3d(self)),
        }
    }
}

/// Each media type: the `Media` interface's fields, then its own.
macro_rules! media_type {
    ($(#[$doc:meta])* $name:ident { $($own:tt)* }) => {
        $(#[$doc])*
        #[derive(Clone, Debug)]
        pub struct $name(pub(crate) MediaItem);

        #[Object]
        impl $name {
            pub async fn id(&self) -> ID {
                ID(self.0.gid())
            }
            async fn alt(&self) -> Option<&str> {
                Some(self.0.row.alt.as_str())
            }
            async fn media_content_type(&self) -> MediaContentType {
                self.0.kind()
            }
            async fn status(&self) -> MediaStatus {
                self.0.status()
            }
            async fn preview(&self) -> MediaPreviewImage {
                MediaPreviewImage {
                    image: self.0.image(),
                    status: self.0.status(),
                }
            }
            async fn media_errors(&self) -> Vec<MediaError> {
                vec![]
            }
            async fn media_warnings(&self) -> Vec<MediaWarning> {
                vec![]
            }
            async fn created_at(&self) -> DateTime {
                DateTime(from_millis(self.0.row.created_at))
            }
            async fn updated_at(&self) -> DateTime {
                DateTime(from_millis(self.0.row.updated_at))
            }
            async fn file_status(&self) -> FileStatus {
                match self.0.status() {
                    MediaStatus::Uploaded => FileStatus::Uploaded,
                    MediaStatus::Processing => FileStatus::Processing,
                    MediaStatus::Ready => FileStatus::Ready,
                    MediaStatus::Failed => FileStatus::Failed,
                }
            }
            async fn file_errors(&self) -> Vec<MediaError> {
                vec![]
            }
            $($own)*
        }
    };
}

media_type! {
    /// `MediaImage`.
    MediaImage {
        async fn image(&self) -> Option<Image> {
            self.0.image()
        }
        /// The type its URL's extension names, once ready.
        async fn mime_type(&self) -> Option<&'static str> {
            if self.0.fresh {
                return None;
            }
            image_mime_type(&self.0.row.original_source)
        }
    }
}

media_type! {
    /// `Video`.
    Video {
        async fn filename(&self) -> Option<&str> {
            self.0.row.filename.as_deref()
        }
    }
}

media_type! {
    /// `ExternalVideo`: a YouTube or Vimeo video by URL.
    ExternalVideo {
        async fn origin_url(&self) -> Url {
            Url(self.0.row.original_source.clone())
        }
        async fn embed_url(&self) -> Url {
            Url(embed_url(&self.0.row.original_source))
        }
    }
}

media_type! {
    /// `Model3d`.
    Model3d {
        async fn filename(&self) -> Option<&str> {
            self.0.row.filename.as_deref()
        }
    }
}

/// `Media`.
#[derive(Interface, Clone, Debug)]
#[graphql(
    field(name = "id", ty = "ID"),
    field(name = "alt", ty = "Option<&str>"),
    field(name = "media_content_type", ty = "MediaContentType"),
    field(name = "status", ty = "MediaStatus"),
    field(name = "preview", ty = "MediaPreviewImage"),
    field(name = "media_errors", ty = "Vec<MediaError>"),
    field(name = "media_warnings", ty = "Vec<MediaWarning>")
)]
pub enum Media {
    MediaImage(MediaImage),
    Video(Video),
    ExternalVideo(ExternalVideo),
    Model3d(Model3d),
}

impl Media {
    pub(crate) fn item(&self) -> &MediaItem {
        match self {
            Media::MediaImage(media) => &media.0,
            Media::Video(media) => &media.0,
            Media::ExternalVideo(media) => &media.0,
            Media::Model3d(media) => &media.0,
        }
    }
}

/// `ProductImage`: a product's ready image, for the older `images` field.
#[derive(Clone, Debug)]
pub struct ProductImage(pub(crate) MediaItem);

#[Object]
impl ProductImage {
    async fn id(&self) -> ID {
        ID(Gid::new("ProductImage", self.0.row.image_id.unwrap_or(self.0.row.id)).to_string())
    }
    async fn url(&self) -> Url {
        Url(self.0.row.original_source.clone())
    }
    async fn alt_text(&self) -> Option<&str> {
        Some(self.0.row.alt.as_str())
    }
    async fn width(&self) -> Option<i32> {
        None
    }
    async fn height(&self) -> Option<i32> {
        None
    }
}

/// The MIME type an image URL's extension names.
fn image_mime_type(url: &str) -> Option<&'static str> {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let extension = path.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match extension.as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "svg" => "image/svg+xml",
        "heic" => "image/heic",
        _ => return None,
    })
}

/// The embeddable form of a YouTube watch URL (others are kept as given).
fn embed_url(origin: &str) -> String {
    let id = origin
        .split_once("watch?v=")
        .map(|(_, rest)| rest)
        .or_else(|| origin.split_once("youtu.be/").map(|(_, rest)| rest))
        .map(|rest| rest.split(['&', '?']).next().unwrap_or(rest));
    match id {
        Some(id) => format!("https://www.youtube.com/embed/{id}"),
        None => origin.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_types_come_from_the_urls_extension() {
        assert_eq!(
            image_mime_type("https://x.test/a/b.PNG?v=1"),
            Some("image/png")
        );
        assert_eq!(
            image_mime_type("https://x.test/a/b.jpeg"),
            Some("image/jpeg")
        );
        assert_eq!(image_mime_type("https://placehold.co/600x400/png"), None);
    }

    #[test]
    fn youtube_links_embed() {
        assert_eq!(
            embed_url("https://www.youtube.com/watch?v=dQw4w9WgXcQ"),
            "https://www.youtube.com/embed/dQw4w9WgXcQ"
        );
        assert_eq!(
            embed_url("https://youtu.be/dQw4w9WgXcQ"),
            "https://www.youtube.com/embed/dQw4w9WgXcQ"
        );
    }
}
