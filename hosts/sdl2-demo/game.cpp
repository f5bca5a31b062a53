#include "game.hpp"

#include <SDL_opengl.h>

namespace demo {

void Game::draw() const {
    const double t = seconds();
    glDisable(GL_SCISSOR_TEST);
    glViewport(0, 0, kWidth, kHeight);
    glClearColor(0.30f, 0.12f, 0.10f, 1.0f);  // dusk: warm, no blue (the screenshot test's
    glClear(GL_COLOR_BUFFER_BIT);             // window checks look for the overlay's blue)
    glEnable(GL_SCISSOR_TEST);
    for (int i = 0; i < kBuildings; ++i) {  // buildings scrolling left
        const int w = 70;
        const int x = static_cast<int>(std::floor(building_x(i, t)));
        const int h = 120 + (i * 97) % 260;
        glScissor(x, 0, w, h);
        const float shade = 0.35f + 0.05f * static_cast<float>(i % 4);
        glClearColor(shade + 0.2f, shade, 0.05f, 1.0f);
        glClear(GL_COLOR_BUFFER_BIT);
    }
    const double bx = 640.0 + 400.0 * std::sin(t * 1.3);
    const double by = 420.0 + 200.0 * std::fabs(std::sin(t * 2.1));
    glScissor(static_cast<int>(bx) - 30, static_cast<int>(by) - 30, 60, 60);
    glClearColor(paused_ ? 0.5f : 0.95f, paused_ ? 0.5f : 0.85f, 0.1f, 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    glDisable(GL_SCISSOR_TEST);
}

}  // namespace demo
