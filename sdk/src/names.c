/* names.c — the name helpers of msgr.h (msgr_hresult_name, msgr_status_name,
 * msgr_event_type_name, msgr_delivery_state_name), in one place for everyone who needs them.
 *
 * This one file is built twice: into libmsgr.so, which exports the four functions, and into the
 * static library libmsgr_addin.a (hidden visibility) that add-ins link, because an add-in must
 * not link libmsgr.so and yet may want to log a result by name. The tables are plain switches
 * over the values in msgr.h, so a name can never disagree with its value.
 */
#include "msgr/msgr.h"

const char *msgr_hresult_name(msgr_hresult hr) {
    /* Compared as unsigned: the failure codes are negative as int32_t. */
    switch ((uint32_t)hr) {
#define MSGR_NAME(n)    \
    case (uint32_t)(n): \
        return #n;
        MSGR_NAME(MSGR_S_OK)
        MSGR_NAME(MSGR_S_FALSE)
        MSGR_NAME(MSGR_E_NOTIMPL)
        MSGR_NAME(MSGR_E_FAIL)
        MSGR_NAME(MSGR_E_INVALIDARG)
        MSGR_NAME(MSGR_E_OUTOFMEMORY)
        MSGR_NAME(MSGR_RPC_X_NULL_REF_POINTER)
        MSGR_NAME(MSGR_RPC_E_DISCONNECTED)
        MSGR_NAME(MSGR_RPC_E_WRONG_THREAD)
        MSGR_NAME(MSGR_E_FILE_NOT_FOUND)
        MSGR_NAME(MSGR_E_INVALID_DATA)
        MSGR_NAME(MSGR_E_ACCESSDENIED)
        MSGR_NAME(MSGR_E_WRITE_PROTECT)
        MSGR_NAME(MSGR_E_DISK_FULL)
        MSGR_NAME(MSGR_E_CONNECT)
        MSGR_NAME(MSGR_E_INVALID_SERVER_NAME)
        MSGR_NAME(MSGR_E_INVALID_PASSWORD)
        MSGR_NAME(MSGR_E_ALREADY_LOGGED_ON)
        MSGR_NAME(MSGR_E_SERVER_VERSION)
        MSGR_NAME(MSGR_E_LOGON_TIMEOUT)
        MSGR_NAME(MSGR_E_LIST_FULL)
        MSGR_NAME(MSGR_E_USER_NOT_FOUND)
        MSGR_NAME(MSGR_E_ALREADY_IN_LIST)
        MSGR_NAME(MSGR_E_DISCONNECTED)
        MSGR_NAME(MSGR_E_UNEXPECTED)
        MSGR_NAME(MSGR_E_CANCEL)
        MSGR_NAME(MSGR_E_SERVER_UNAVAILABLE)
        MSGR_NAME(MSGR_E_LOGON_UI_ACTIVE)
        MSGR_NAME(MSGR_E_OPTION_UI_ACTIVE)
        MSGR_NAME(MSGR_E_CONTACT_UI_ACTIVE)
        MSGR_NAME(MSGR_E_PRIMARY_SERVICE_NOT_LOGGED_ON)
        MSGR_NAME(MSGR_E_LOGGED_ON)
        MSGR_NAME(MSGR_E_NOT_LOGGED_ON)
        MSGR_NAME(MSGR_E_NOT_PRIMARY_SERVICE)
        MSGR_NAME(MSGR_E_TOO_MANY_SESSIONS)
        MSGR_NAME(MSGR_E_SESSION_FULL)
        MSGR_NAME(MSGR_E_NOT_ACCEPTING_PAGES)
        MSGR_NAME(MSGR_E_PAGING_UNAVAILABLE)
        MSGR_NAME(MSGR_E_MESSAGE_TOO_LONG)
        MSGR_NAME(MSGR_E_BUSY)
        MSGR_NAME(MSGR_S_ALREADY_IN_THE_MODE)
#undef MSGR_NAME
    }
    return "UNKNOWN_HRESULT";
}

const char *msgr_status_name(int32_t status) {
    switch (status) {
#define MSGR_NAME(n) \
    case n:          \
        return #n;
        MSGR_NAME(MSGR_STATUS_UNKNOWN)
        MSGR_NAME(MSGR_STATUS_OFFLINE)
        MSGR_NAME(MSGR_STATUS_ONLINE)
        MSGR_NAME(MSGR_STATUS_INVISIBLE)
        MSGR_NAME(MSGR_STATUS_BUSY)
        MSGR_NAME(MSGR_STATUS_BE_RIGHT_BACK)
        MSGR_NAME(MSGR_STATUS_IDLE)
        MSGR_NAME(MSGR_STATUS_AWAY)
        MSGR_NAME(MSGR_STATUS_ON_THE_PHONE)
        MSGR_NAME(MSGR_STATUS_OUT_TO_LUNCH)
        MSGR_NAME(MSGR_STATUS_LOCAL_FINDING_SERVER)
        MSGR_NAME(MSGR_STATUS_LOCAL_CONNECTING_TO_SERVER)
        MSGR_NAME(MSGR_STATUS_LOCAL_SYNCHRONIZING_WITH_SERVER)
        MSGR_NAME(MSGR_STATUS_LOCAL_DISCONNECTING_FROM_SERVER)
#undef MSGR_NAME
    }
    return "UNKNOWN_STATUS";
}

const char *msgr_event_type_name(msgr_event_type type) {
    /* As an int: a C caller may pass any value, and C++'s rules for enums out of range do not
     * apply to a C translation unit. */
    switch ((int)type) {
#define MSGR_NAME(n) \
    case n:          \
        return #n;
        MSGR_NAME(MSGR_EVENT_SIGNIN)
        MSGR_NAME(MSGR_EVENT_SIGNOUT)
        MSGR_NAME(MSGR_EVENT_MY_STATUS_CHANGE)
        MSGR_NAME(MSGR_EVENT_CONTACT_STATUS_CHANGE)
        MSGR_NAME(MSGR_EVENT_CONTACT_LIST_ADD)
        MSGR_NAME(MSGR_EVENT_CONTACT_LIST_REMOVE)
        MSGR_NAME(MSGR_EVENT_IM_WINDOW_CREATED)
        MSGR_NAME(MSGR_EVENT_IM_WINDOW_DESTROYED)
        MSGR_NAME(MSGR_EVENT_MESSAGE_RECEIVED)
        MSGR_NAME(MSGR_EVENT_DELIVERY_CHANGE)
        MSGR_NAME(MSGR_EVENT_APP_SHUTDOWN)
        MSGR_NAME(MSGR_EVENT_ADDIN_STATE_CHANGE)
        MSGR_NAME(MSGR_EVENT_TYPING)
        MSGR_NAME(MSGR_EVENT_SEARCH_DONE)
        MSGR_NAME(MSGR_EVENT_HISTORY_PREPENDED)
        MSGR_NAME(MSGR_EVENT_IM_WINDOW_CONTACT_ADDED)
        MSGR_NAME(MSGR_EVENT_IM_WINDOW_CONTACT_REMOVED)
        MSGR_NAME(MSGR_EVENT_AUTHORIZATION_REQUEST)
        MSGR_NAME(MSGR_EVENT_CONTACT_BLOCK_CHANGE)
        MSGR_NAME(MSGR_EVENT_CONTACT_FRIENDLY_NAME_CHANGE)
        MSGR_NAME(MSGR_EVENT_MY_FRIENDLY_NAME_CHANGE)
        MSGR_NAME(MSGR_EVENT_MY_ACTIVITY_CHANGE)
        MSGR_NAME(MSGR_EVENT_CONTACT_ACTIVITY_CHANGE)
#undef MSGR_NAME
    }
    return "UNKNOWN_EVENT";
}

const char *msgr_delivery_state_name(msgr_delivery_state state) {
    /* As an int, as msgr_event_type_name: any value may come from a C caller. */
    switch ((int)state) {
#define MSGR_NAME(n) \
    case n:          \
        return #n;
        MSGR_NAME(MSGR_DELIVERY_NONE)
        MSGR_NAME(MSGR_DELIVERY_PENDING)
        MSGR_NAME(MSGR_DELIVERY_SENT)
        MSGR_NAME(MSGR_DELIVERY_FAILED)
        MSGR_NAME(MSGR_DELIVERY_DELIVERED)
        MSGR_NAME(MSGR_DELIVERY_READ)
#undef MSGR_NAME
    }
    return "UNKNOWN_DELIVERY";
}
