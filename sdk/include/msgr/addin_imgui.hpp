/* addin_imgui.hpp — for add-ins that draw with Dear ImGui (add-in ABI 1.2). C++, header only.
 *
 * Include it after <imgui.h> in the add-in. In the drawer's draw callback:
 *
 *     msgr_hresult draw(void *state, const msgr_draw_context *ctx) {
 *         char why[160];
 *         if (!msgr_imgui_attach(ctx, why, sizeof why)) {
 *             set_error(host_ctx, why);       // becomes the reason the add-in is disabled
 *             return MSGR_E_FAIL;             // refuses: the add-in is disabled
 *         }
 *         if (!(ctx->flags & MSGR_DRAW_OVERLAY_OPEN)) return MSGR_S_OK;
 *         ImGui::Begin("My add-in");  ...  ImGui::End();
 *         return MSGR_S_OK;
 *     }
 *
 * msgr_imgui_attach checks what IMGUI_CHECKVERSION checks (the version string and the sizes of
 * ImGuiIO, ImGuiStyle, ImVec2, ImVec4, ImDrawVert, ImDrawIdx), but refuses instead of asserting,
 * and then makes the host's context and allocator current in the add-in's own copy of ImGui
 * (ImGui keeps both in globals of each binary that links it). */
#ifndef MSGR_ADDIN_IMGUI_H
#define MSGR_ADDIN_IMGUI_H

#include <cstdio>
#include <cstring>

#include "msgr/addin.h"

#ifndef IMGUI_VERSION
#error "include <imgui.h> before msgr/addin_imgui.hpp"
#endif

/* Whether this add-in's ImGui can draw into the host's context described by ctx. On false,
 * why says which check failed. */
inline bool msgr_imgui_compatible(const msgr_draw_context *ctx, char *why, size_t why_size) {
    const char *bad = nullptr;
    if (ctx == nullptr || ctx->struct_size < sizeof(msgr_draw_context)) {
        bad = "the host's msgr_draw_context is too old";
    } else if (ctx->imgui_version == nullptr ||
               std::strcmp(ctx->imgui_version, IMGUI_VERSION) != 0 ||
               ctx->imgui_version_num != IMGUI_VERSION_NUM) {
        if (why != nullptr && why_size > 0) {
            (void)std::snprintf(why, why_size,
                                "the host's ImGui is %s (%d), this add-in's is %s (%d)",
                                ctx->imgui_version != nullptr ? ctx->imgui_version : "unknown",
                                static_cast<int>(ctx->imgui_version_num), IMGUI_VERSION,
                                static_cast<int>(IMGUI_VERSION_NUM));
        }
        return false;
    } else if (ctx->sizeof_io != sizeof(ImGuiIO) || ctx->sizeof_style != sizeof(ImGuiStyle) ||
               ctx->sizeof_vec2 != sizeof(ImVec2) || ctx->sizeof_vec4 != sizeof(ImVec4) ||
               ctx->sizeof_drawvert != sizeof(ImDrawVert) ||
               ctx->sizeof_drawidx != sizeof(ImDrawIdx)) {
        bad =
            "the host's ImGui has another data layout (sizes of ImGuiIO, ImGuiStyle, ImVec2, "
            "ImVec4, ImDrawVert or ImDrawIdx differ: another imconfig.h)";
    } else if (ctx->imgui_context == nullptr || ctx->alloc_fn == nullptr ||
               ctx->free_fn == nullptr) {
        bad = "the host gave no ImGui context or allocator";
    }
    if (bad != nullptr) {
        if (why != nullptr && why_size > 0) (void)std::snprintf(why, why_size, "%s", bad);
        return false;
    }
    return true;
}

/* Checks, then makes the host's allocator and context current for this add-in's ImGui. */
inline bool msgr_imgui_attach(const msgr_draw_context *ctx, char *why, size_t why_size) {
    if (!msgr_imgui_compatible(ctx, why, why_size)) return false;
    ImGui::SetAllocatorFunctions(ctx->alloc_fn, ctx->free_fn, ctx->alloc_user_data);
    ImGui::SetCurrentContext(static_cast<ImGuiContext *>(ctx->imgui_context));
    return true;
}

#endif /* MSGR_ADDIN_IMGUI_H */
