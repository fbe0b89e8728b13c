//! The one table from a call's category to the HTTP status each kind of
//! answer gives. MCP answers every call outcome as a tool result (`isError`
//! with the code first) and only an unknown tool as a protocol error, so it
//! has no column here.
use crate::ability::outcome::Category;
use http::StatusCode;

/// The kinds of HTTP answer a call gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Seed 003's `POST /api/agents/{agent}/skills/{skill}/invoke`: a call
    /// that ran and failed is a successful request (`success: false`).
    RestInvoke,
    /// Seed 003's `POST /api/agents/{agent}/mcp/invoke`: the remote tool's
    /// own error result is a successful request; the host failing to reach
    /// it is a bad gateway.
    RestToolCall,
    /// A skill server's runtime URL: the ability failing is a bad gateway
    /// (the service in between is fine).
    SkillServer,
}

impl Answer {
    /// The status for `category` in this kind of answer.
    pub fn status(self, category: Category) -> StatusCode {
        use Category as C;
        // What every answer shares: the request was wrong, not allowed now,
        // or ours failed.
        match category {
            C::NotFound => return StatusCode::NOT_FOUND,
            C::Busy => return StatusCode::SERVICE_UNAVAILABLE,
            C::Internal => return StatusCode::INTERNAL_SERVER_ERROR,
            C::AbilityRequired | C::InvalidSession => return StatusCode::BAD_REQUEST,
            C::AssignmentDisabled
            | C::SkillNotActive
            | C::AbilityNotApproved
            | C::ApprovalPending
            | C::AssignmentOutdated => return StatusCode::CONFLICT,
            C::InvalidInput | C::InvalidRequest => return StatusCode::UNPROCESSABLE_ENTITY,
            _ => {}
        }
        match (self, category) {
            (Answer::RestInvoke, _) => StatusCode::OK,
            (Answer::RestToolCall, C::Failed) => StatusCode::OK,
            (Answer::RestToolCall, C::SecretNotSet) => StatusCode::UNPROCESSABLE_ENTITY,
            (Answer::SkillServer, C::SecretNotSet) => StatusCode::CONFLICT,
            (Answer::SkillServer, C::Timeout) => StatusCode::GATEWAY_TIMEOUT,
            (Answer::SkillServer | Answer::RestToolCall, _) => StatusCode::BAD_GATEWAY,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table as the README documents it, row by row.
    #[test]
    fn the_status_table_is_the_documented_one() {
        use Category as C;
        let expected: &[(C, u16, u16, u16)] = &[
            (C::InvalidInput, 422, 422, 422),
            (C::CapabilityDenied, 200, 502, 502),
            (C::Timeout, 200, 502, 504),
            (C::OutOfMemory, 200, 502, 502),
            (C::OutputTooLarge, 200, 502, 502),
            (C::GuestTrap, 200, 502, 502),
            (C::Failed, 200, 200, 502),
            (C::NotFound, 404, 404, 404),
            (C::Busy, 503, 503, 503),
            (C::Internal, 500, 500, 500),
            (C::AssignmentDisabled, 409, 409, 409),
            (C::SkillNotActive, 409, 409, 409),
            (C::AbilityNotApproved, 409, 409, 409),
            (C::ApprovalPending, 409, 409, 409),
            (C::AssignmentOutdated, 409, 409, 409),
            (C::SecretNotSet, 200, 422, 409),
            (C::InvalidRequest, 422, 422, 422),
            (C::UpstreamUnreachable, 200, 502, 502),
            (C::UpstreamError, 200, 502, 502),
            (C::AbilityRequired, 400, 400, 400),
            (C::InvalidSession, 400, 400, 400),
        ];
        assert_eq!(
            expected.len(),
            Category::ALL.len(),
            "every category has a row"
        );
        for &(category, rest, tool, skillserver) in expected {
            assert_eq!(
                Answer::RestInvoke.status(category).as_u16(),
                rest,
                "{category:?} REST"
            );
            assert_eq!(
                Answer::RestToolCall.status(category).as_u16(),
                tool,
                "{category:?} tool call"
            );
            assert_eq!(
                Answer::SkillServer.status(category).as_u16(),
                skillserver,
                "{category:?} skill server"
            );
        }
    }
}
