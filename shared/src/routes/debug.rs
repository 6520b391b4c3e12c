//! `/debug` routes. None are served yet: every path answers 102 until this area's issue lands.

use crate::app::App;
use crate::body::{Request, Response};
use crate::error::{Code, Error, Result};

pub async fn route(_app: &App, _req: Request) -> Result<Response> {
    Err(Error::new(Code::NoEndpoint))
}
