//! Pages: one askama template answered as HTML with its status, in the manner
//! of docs.rs' `impl_axum_webpage!`.
//!
//! Every page struct is declared once with [`impl_page!`], which makes it an
//! axum response: a handler returns the page (`AppResult<ContractPage>`) and
//! never renders by hand. A form refused by the server comes back as the same
//! page holding the form and its errors, with 422: [`Page::invalid`] is that
//! one call. A render error answers the French error page through
//! [`AppError`] (500, the cause in the log), never a panic.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use crate::error::AppError;

/// A page of the site: a template answered as `text/html; charset=utf-8`
/// (its `IntoResponse` is [`Page::response`], written by [`impl_page!`]).
pub trait Page: Template + IntoResponse + Sized {
    /// The status of the page when it is simply shown (docs.rs' `status = …`).
    const STATUS: StatusCode = StatusCode::OK;

    /// The page with its own status.
    fn response(self) -> Response {
        self.with_status(Self::STATUS)
    }

    /// The page with another status (e.g. 429 on the login page).
    fn with_status(self, status: StatusCode) -> Response {
        match self.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(e) => AppError::from(e).into_response(),
        }
    }

    /// The form shown again with the errors that refused it: 422
    /// Unprocessable Entity, so that a client (and a test) tells a refusal
    /// from a success without reading the page.
    fn invalid(self) -> Response {
        self.with_status(StatusCode::UNPROCESSABLE_ENTITY)
    }

    /// The page, or the form again with 422 when it was `refused`.
    fn invalid_if(self, refused: bool) -> Response {
        if refused {
            self.invalid()
        } else {
            self.response()
        }
    }
}

/// Declares page structs: each one is a [`Page`] and an axum response with
/// the page's status (`impl_page!(HomePage, CampaignPage);`).
macro_rules! impl_page {
    ($($page:ty),+ $(,)?) => {
        $(
            impl $crate::ui::page::Page for $page {}

            impl ::axum::response::IntoResponse for $page {
                fn into_response(self) -> ::axum::response::Response {
                    $crate::ui::page::Page::response(self)
                }
            }
        )+
    };
}
pub(crate) use impl_page;

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Template)]
    #[template(source = "<p>{{ text }}</p>", ext = "html")]
    struct Sample {
        text: String,
    }
    impl_page!(Sample);

    #[derive(Template)]
    #[template(source = "{{ self.fails()? }}", ext = "html")]
    struct Broken;
    impl_page!(Broken);

    impl Broken {
        fn fails(&self) -> Result<String, askama::Error> {
            Err(askama::Error::Fmt)
        }
    }

    fn sample() -> Sample {
        Sample {
            text: "été & hiver".to_owned(),
        }
    }

    async fn body(response: Response) -> String {
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    #[tokio::test]
    async fn a_page_is_html_with_its_status() {
        let response = sample().into_response();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers()[axum::http::header::CONTENT_TYPE],
            "text/html; charset=utf-8"
        );
        assert_eq!(body(response).await, "<p>été &#38; hiver</p>");
    }

    #[tokio::test]
    async fn a_refused_form_is_the_same_page_with_422() {
        let shown = body(sample().response()).await;
        let refused = sample().invalid();
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body(refused).await, shown);
        assert_eq!(sample().invalid_if(false).status(), StatusCode::OK);
        assert_eq!(
            sample().invalid_if(true).status(),
            StatusCode::UNPROCESSABLE_ENTITY
        );
        assert_eq!(
            sample().with_status(StatusCode::TOO_MANY_REQUESTS).status(),
            StatusCode::TOO_MANY_REQUESTS
        );
    }

    #[tokio::test]
    async fn a_render_error_is_the_french_error_page() {
        let response = Broken.into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(body(response).await.contains("Erreur technique"));
    }
}
